package io.mqttwebhook.delivery;

import io.mqttwebhook.metrics.EndpointMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Whether an endpoint can be sent to: a circuit breaker in the sense of Standard Webhooks' and Convoy's
 * guidance, so that an outage is the endpoint's failure, not each event's.
 * <ul>
 *   <li><b>closed</b>: sending at full pool. After {@code circuit.failure_threshold} consecutive attempts
 *       without an answer (connection error, timeout, 502/503/504) it opens.</li>
 *   <li><b>open</b>: nothing is sent; jobs whose retry comes due wait here ("parked", keeping their slot).
 *       After a backoff (growing with each failed probe, capped by {@code retry.max_backoff}) one probe goes
 *       out. Probes alternate between a parked job and the next events of the queue, so one event the
 *       endpoint cannot take does not keep it closed to all others; a probe from the queue borrows one slot
 *       beyond the pool (nothing else is in flight while the circuit is open).</li>
 *   <li><b>probing</b>: that one attempt is out. Any answer closes the circuit and every parked job goes out
 *       again; no answer opens it again.</li>
 *   <li><b>paused</b>: the endpoint said 429, or 503 with {@code Retry-After}: nothing is sent until then.</li>
 *   <li><b>gone</b>: the endpoint said 410: nothing is sent until its configuration changes.</li>
 * </ul>
 * An attempt without an answer counts against an event's {@code retry.max_attempts} only when the endpoint
 * answered other requests since that event's previous attempt started (during this one, for the first):
 * a poison event the endpoint never answers is still given up, while an outage costs nothing but queue
 * room. Transitions are logged once each. Thread-safe; the common case (closed, answered) takes no lock.
 */
final class EndpointHealth implements EndpointMetrics.Health {

    private static final Logger LOG = LoggerFactory.getLogger(EndpointHealth.class);

    /** The states, in the order of their value in the {@code circuit.state} gauge. */
    enum State {
        CLOSED, OPEN, PROBING, PAUSED, GONE
    }

    /** What an attempt without an answer means for its job. */
    enum Cost {
        /** The endpoint answered others since the job's previous attempt: it counts against max_attempts. */
        COUNTED,
        /** The endpoint is (or just went) down: retried, the attempt does not count. */
        FREE,
        /** It was the probe of a down endpoint: parked again, for when the endpoint is up. */
        PARKED
    }

    /** What the delivery engine does for the health tracker. */
    interface Actions {
        /** Runs {@link #probeDue()} after {@code delayMillis}. */
        void scheduleProbe(long delayMillis);

        /** Runs {@link #pauseEnded()} after {@code delayMillis}. */
        void schedulePauseEnd(long delayMillis);

        /** Sends these parked jobs again. */
        void resume(List<Job> jobs);

        /** Events waiting in the queue. */
        long waiting();
    }

    private final String endpoint;
    private final Actions actions;
    private volatile State state = State.CLOSED;
    private volatile int threshold;
    private volatile Backoff backoff;
    /** Answers (any outcome but no answer) so far. */
    private final AtomicLong answers = new AtomicLong();
    private final AtomicLong consecutiveFailures = new AtomicLong();
    private final AtomicLong failingSinceMillis = new AtomicLong();
    /** Written under the lock, read without it on the hot path. */
    private volatile int consecutiveOutages;
    // guarded by this
    private int failedProbes;
    private boolean probeOut;
    private boolean probingLogged;
    /** The last probe was a parked job: the next comes from the queue when it has events. */
    private boolean lastProbeParked;
    /** A job on a borrowed slot exists (at most one: parked jobs stay within pool_size + 1). */
    private boolean borrowedAlive;
    private long pausedUntilMillis;
    private final ArrayDeque<Job> parked = new ArrayDeque<>();

    EndpointHealth(final String endpoint, final int threshold, final Backoff backoff, final Actions actions) {
        this.endpoint = endpoint;
        this.threshold = threshold;
        this.backoff = backoff;
        this.actions = actions;
    }

    /** A reload changed the threshold or the backoff. */
    void configure(final int newThreshold, final Backoff newBackoff) {
        this.threshold = newThreshold;
        this.backoff = newBackoff;
    }

    State state() {
        return state;
    }

    /** Whether new attempts may start at full pool (a volatile read, for the hot path). */
    boolean sending() {
        return state == State.CLOSED;
    }

    /** An attempt of {@code job} starts: remembers what the endpoint had answered, for {@link #outage}. */
    void attemptStarts(final Job job) {
        final long now = answers.get();
        job.answersAtPreviousStart = job.attempts == 0 ? now : job.answersAtStart;
        job.answersAtStart = now;
    }

    /**
     * The dispatcher, while the endpoint is not sending: true when it is to take the next events of the queue
     * as the probe, on a borrowed slot.
     */
    synchronized boolean claimProbeFromQueue() {
        if (state == State.PROBING && !probeOut && !borrowedAlive) {
            probeOut = true;
            borrowedAlive = true;
            return true;
        }
        return false;
    }

    /** The claimed queue probe found nothing to take: a parked job is the probe instead (or null). */
    synchronized @Nullable Job probeNotTaken() {
        borrowedAlive = false;
        if (state != State.PROBING) {
            return null;
        }
        probeOut = false;
        return parkedProbe();
    }

    /** A job on the borrowed slot has ended. */
    synchronized void borrowedEnded() {
        borrowedAlive = false;
        notifyAll();
    }

    private @Nullable Job parkedProbe() {
        final Job probe = parked.poll();
        if (probe != null) {
            probeOut = true;
            probe.probe = true;
            lastProbeParked = true;
        }
        return probe;
    }

    /**
     * The endpoint answered (2xx, a refusal, or a 408/5xx for this request): it is up. Closes an open
     * circuit and resumes what was parked. {@code success}: 2xx or a refusal, which also ends a run of
     * failed attempts in the metrics.
     */
    void answered(final Job job, final boolean success) {
        answers.incrementAndGet();
        if (success) {
            if (consecutiveFailures.get() != 0) {
                final long ended = consecutiveFailures.getAndSet(0);
                failingSinceMillis.set(0);
                if (ended > 0) {
                    LOG.info("mqtt-webhook: endpoint {} answers again after {} failed attempt(s); {} event(s) queued",
                            endpoint, ended, actions.waiting());
                }
            }
        } else {
            failed();
        }
        if (state == State.CLOSED && !job.probe && consecutiveOutages == 0) {
            return;
        }
        final List<Job> resume;
        synchronized (this) {
            if (job.probe) {
                job.probe = false;
                probeOut = false;
            }
            consecutiveOutages = 0;
            if (state != State.OPEN && state != State.PROBING) {
                return;
            }
            failedProbes = 0;
            probingLogged = false;
            state = State.CLOSED;
            resume = new ArrayList<>(parked);
            parked.clear();
            LOG.info("mqtt-webhook: endpoint {} is up again (circuit closed); sending resumes at full pool, {} event(s)"
                    + " queued", endpoint, actions.waiting());
            notifyAll();
        }
        actions.resume(resume);
    }

    /** An attempt failed retryably (for the metrics and the first warning); true for the first of a run. */
    private boolean failed() {
        failingSinceMillis.compareAndSet(0, System.currentTimeMillis());
        return consecutiveFailures.incrementAndGet() == 1;
    }

    /** An attempt got no answer: what it costs the job (see {@link Cost}). */
    synchronized Cost outage(final Job job, final Outcome outcome) {
        if (failed()) {
            LOG.warn("mqtt-webhook: endpoint {} is failing: {}; events wait in the queue and are retried", endpoint,
                    outcome);
        }
        if (job.probe) {
            job.probe = false;
            probeOut = false;
            if (state == State.PROBING) {
                failedProbes++;
                parked.add(job); // to the back: the next probe is another job, or the queue
                state = State.OPEN;
                final long delay = backoff.delayMillis(failedProbes + 1, null);
                LOG.debug("mqtt-webhook: endpoint {} probe failed ({}), next probe in {} ms", endpoint, outcome, delay);
                actions.scheduleProbe(delay);
                return Cost.PARKED;
            }
            return Cost.FREE;
        }
        if (state != State.CLOSED) {
            return Cost.FREE; // down already: waiting costs the event nothing
        }
        final boolean othersAnswered = answers.get() != job.answersAtPreviousStart;
        consecutiveOutages++;
        if (consecutiveOutages >= threshold) {
            state = State.OPEN;
            failedProbes = 0;
            lastProbeParked = false;
            final long delay = backoff.delayMillis(1, null);
            LOG.warn("mqtt-webhook: endpoint {} is down after {} attempts without an answer (last: {}); circuit open:"
                            + " nothing is sent until a probe in {} ms is answered; {} event(s) queued, none given up",
                    endpoint, consecutiveOutages, outcome, delay, actions.waiting());
            actions.scheduleProbe(delay);
            return Cost.FREE;
        }
        return othersAnswered ? Cost.COUNTED : Cost.FREE;
    }

    /**
     * A job's retry came due while the endpoint is not sending: it waits here. True when it goes out at once
     * instead (the endpoint is sending again, or it is the probe the endpoint waits for).
     */
    synchronized boolean park(final Job job) {
        if (state == State.CLOSED) {
            return true;
        }
        if (state == State.PROBING && !probeOut) {
            probeOut = true;
            job.probe = true;
            lastProbeParked = true;
            return true;
        }
        parked.add(job);
        return false;
    }

    /** The probe time of an open circuit: a parked job to send as the probe, or null (the queue gives one). */
    synchronized @Nullable Job probeDue() {
        if (state != State.OPEN) {
            return null;
        }
        state = State.PROBING;
        if (!probingLogged) {
            probingLogged = true;
            LOG.info("mqtt-webhook: endpoint {} is down; probing it with one request at a time, {} event(s) queued",
                    endpoint, actions.waiting());
        }
        final boolean queueTurn = parked.isEmpty() || (lastProbeParked && actions.waiting() > 0 && !borrowedAlive);
        if (queueTurn) {
            lastProbeParked = false;
            notifyAll(); // the dispatcher takes the next events of the queue as the probe
            return null;
        }
        return parkedProbe();
    }

    /** The endpoint said 429, or 503 with Retry-After: nothing is sent for {@code delayMillis}. */
    synchronized void pause(final Job job, final Outcome outcome, final long delayMillis) {
        job.probe = false;
        probeOut = false;
        failed();
        parked.add(job);
        if (state == State.GONE) {
            return;
        }
        final long until = System.currentTimeMillis() + delayMillis;
        if (state != State.PAUSED || until > pausedUntilMillis) {
            if (state != State.PAUSED) {
                LOG.warn("mqtt-webhook: endpoint {} answered {} (Retry-After {}): nothing is sent to it for {} ms;"
                        + " {} event(s) queued", endpoint, outcome, outcome.retryAfter, delayMillis, actions.waiting());
            }
            pausedUntilMillis = Math.max(pausedUntilMillis, until);
            state = State.PAUSED;
            actions.schedulePauseEnd(delayMillis);
        }
    }

    /** A pause may have ended. */
    void pauseEnded() {
        final List<Job> resume;
        synchronized (this) {
            if (state != State.PAUSED || System.currentTimeMillis() < pausedUntilMillis) {
                return;
            }
            state = State.CLOSED;
            consecutiveOutages = 0;
            resume = new ArrayList<>(parked);
            parked.clear();
            LOG.info("mqtt-webhook: endpoint {}: the pause it asked for is over; sending resumes, {} event(s) queued",
                    endpoint, actions.waiting());
            notifyAll();
        }
        actions.resume(resume);
    }

    /** The endpoint said 410 Gone: nothing is sent to it until its configuration changes. */
    synchronized void gone(final Job job) {
        job.probe = false;
        probeOut = false;
        parked.add(job);
        if (state != State.GONE) {
            state = State.GONE;
            LOG.error("mqtt-webhook: endpoint {} answered 410 Gone: nothing more is sent to it until its configuration"
                    + " changes; events keep queueing ({} queued)", endpoint, actions.waiting());
        }
    }

    /** The endpoint's configuration changed: a gone endpoint is tried again. */
    void configurationChanged() {
        final List<Job> resume;
        synchronized (this) {
            if (state != State.GONE) {
                return;
            }
            state = State.CLOSED;
            consecutiveOutages = 0;
            resume = new ArrayList<>(parked);
            parked.clear();
            LOG.info("mqtt-webhook: endpoint {}: its configuration changed; sending to it again", endpoint);
            notifyAll();
        }
        actions.resume(resume);
    }

    /** Waits up to {@code millis} for the endpoint to take attempts again (the dispatcher, while not sending). */
    synchronized void awaitChange(final long millis) throws InterruptedException {
        if (state != State.CLOSED && !(state == State.PROBING && !probeOut && !borrowedAlive)) {
            wait(millis);
        }
    }

    /** At stop: every parked job, to settle. */
    synchronized List<Job> takeParked() {
        final List<Job> all = new ArrayList<>(parked);
        parked.clear();
        notifyAll();
        return all;
    }

    @Override
    public long circuitState() {
        return state.ordinal();
    }

    @Override
    public long consecutiveFailures() {
        return consecutiveFailures.get();
    }

    @Override
    public long failingSinceMillis() {
        return failingSinceMillis.get();
    }

    /** For the periodic report while failing. */
    String describe() {
        final long since = failingSinceMillis.get();
        return "is " + state.name().toLowerCase(Locale.ROOT)
                + (since == 0 ? "" : ", failing since " + Instant.ofEpochMilli(since))
                + ", " + consecutiveFailures.get() + " consecutive failed attempts";
    }
}
