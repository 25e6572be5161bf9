package io.mqttwebhook.delivery;

import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.Ordering;
import io.mqttwebhook.event.WebhookEvent;
import io.mqttwebhook.metrics.DeadLetterCause;
import io.mqttwebhook.metrics.EndpointMetrics;
import io.mqttwebhook.metrics.WebhookMetrics.DropCause;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Delivers one endpoint's queue: takes events, serializes, signs and POSTs them, retries with backoff, and
 * accounts for every event exactly once (delivered, failed, or dropped by cause). Its collaborators:
 * {@link Slots} (pool_size and batching), {@link EndpointHealth} (the circuit: an outage parks retries
 * instead of burning them), the shared timer (retry waits, probes, the cancel_timeout sweep), {@link Route}
 * (the HTTP client of the configuration in force), {@link LossReporter}, {@link RateLimiter} (rate_limit, before
 * events leave the queue) and {@link DeadLetters} (every event given up). Threads: one dispatcher of its
 * own; the HTTP client's I/O threads settle a 2xx on the spot and start the next full request; everything
 * else runs on the timer.
 */
final class Delivery implements EndpointHealth.Actions {

    private static final Logger LOG = LoggerFactory.getLogger(Delivery.class);
    private static final long IDLE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long REPORT_SECONDS = 10;
    /** How often requests are checked against cancel_timeout: one sweep instead of a timer per request. */
    private static final long SWEEP_MILLIS = 20;

    private final String name;
    private final EventQueue queue;
    private final EndpointMetrics metrics;
    private final ScheduledExecutorService timer;
    /** Everything a reload may change, swapped as one; each attempt uses the route current at its start. */
    @SuppressWarnings("NullAway.Init") // set by start(), before any attempt
    private volatile Route route;
    private final Set<Route> routes = ConcurrentHashMap.newKeySet();
    private final @Nullable ClientOrdering ordering;
    private final Slots slots;
    private final EndpointHealth health;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger inDelivery = new AtomicInteger();
    private final Set<Job> active = ConcurrentHashMap.newKeySet();
    /** The configuration to start with; its route (HTTP client) is built by {@link #start()}, not here. */
    private final EndpointConfig initial;
    private final LossReporter lossReporter;
    private final String idPrefix;
    private final AtomicLong idSequence = new AtomicLong();
    private final RateLimiter limiter;
    private final DeadLetters deadLetters;
    private final ReentrantLock drainLock = new ReentrantLock();
    private final Condition drained = drainLock.newCondition();
    // set by start()
    @SuppressWarnings("NullAway.Init")
    private Thread thread;
    @SuppressWarnings("NullAway.Init")
    private ScheduledFuture<?> sweep;
    @SuppressWarnings("NullAway.Init")
    private ScheduledFuture<?> report;
    private volatile boolean stopping;
    private volatile boolean closing;

    Delivery(final EndpointConfig config, final EventQueue queue, final EndpointMetrics metrics,
             final ScheduledExecutorService timer, final DeadLetters deadLetters) {
        this.name = config.name();
        this.limiter = new RateLimiter(config.rateLimit());
        this.deadLetters = deadLetters;
        this.queue = queue;
        this.metrics = metrics;
        this.timer = timer;
        this.ordering = config.ordering() == Ordering.PER_CLIENT ? new ClientOrdering() : null;
        this.slots = new Slots(config.poolSize());
        final byte[] random = new byte[9];
        new SecureRandom().nextBytes(random);
        // unique across restarts and nodes: a receiver can drop duplicates by webhook-id
        this.idPrefix = "msg_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random) + "_";
        this.health = new EndpointHealth(name, config.circuitThreshold(),
                new Backoff(config.initialBackoff(), config.maxBackoff()), this);
        this.lossReporter = new LossReporter(metrics, "endpoint " + name + " " + config.urlForLog());
        metrics.bind(() -> queue.size() + (ordering == null ? 0 : ordering.held()), inFlight::get, inDelivery::get,
                () -> {
                    final WebhookEvent oldest = queue.peek();
                    return oldest == null ? 0 : Math.max(0, System.currentTimeMillis() - oldest.createdMillis());
                }, health);
        this.initial = config;
    }

    private Route newRoute(final EndpointConfig config) {
        final Route created = new Route(config);
        routes.add(created);
        return created;
    }

    /** Builds the HTTP client, starts the dispatcher and the periodic tasks; called once, on a plugin thread. */
    void start() {
        route = newRoute(initial);
        thread = new Thread(this::run, "mqtt-webhook-dispatcher-" + name);
        thread.setDaemon(true);
        sweep = timer.scheduleWithFixedDelay(this::cancelOverdue, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        report = timer.scheduleWithFixedDelay(() -> {
            lossReporter.run();
            reportHealth();
        }, REPORT_SECONDS, REPORT_SECONDS, TimeUnit.SECONDS);
        thread.start();
    }

    private void run() {
        try {
            while (!closing) {
                if (!health.sending()) {
                    probeFromQueue();
                    continue;
                }
                if (!slots.tryAcquire(IDLE_POLL_NANOS, TimeUnit.NANOSECONDS)) {
                    continue;
                }
                final EndpointConfig config = route.config;
                if (!health.sending()
                        || (ordering != null && !ordering.awaitRoom(config.queueCapacity(), IDLE_POLL_NANOS))) {
                    // the endpoint went down meanwhile, or one busy client filled the hold
                    slots.release();
                    continue;
                }
                final List<WebhookEvent> events = takeLimited(config.batchMaxEvents(), config.batchMaxDelay().toNanos());
                if (events.isEmpty()) {
                    slots.release();
                    if (stopping && nothingLeft()) {
                        return;
                    }
                    continue;
                }
                launch(new Job(events, idFor(events)));
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final RuntimeException | Error e) {
            LOG.error("mqtt-webhook: the dispatcher of endpoint {} stopped unexpectedly; its events are no longer"
                    + " delivered", name, e);
        }
    }

    /** Events to send, admitted by the per-client ordering (which holds back those of busy clients). */
    private List<WebhookEvent> take(final int max, final long lingerNanos) throws InterruptedException {
        final List<WebhookEvent> events = queue.poll(max, IDLE_POLL_NANOS, lingerNanos);
        return ordering == null || events.isEmpty() ? events : ordering.admit(events);
    }

    /**
     * As {@link #take}, within the rate limit: waits for what the bucket allows (as long as it says a token
     * needs, at most the idle poll), takes up to that many, and gives back what was not found.
     */
    private List<WebhookEvent> takeLimited(final int max, final long lingerNanos) throws InterruptedException {
        final int allowed = limiter.acquire(max, IDLE_POLL_NANOS);
        if (allowed == 0) {
            return List.of();
        }
        final List<WebhookEvent> events = queue.poll(allowed, IDLE_POLL_NANOS, lingerNanos);
        limiter.release(allowed, events.size());
        return ordering == null || events.isEmpty() ? events : ordering.admit(events);
    }

    /**
     * While the endpoint is down: when it is the queue's turn to give the probe, takes one event and sends it
     * on a borrowed slot; otherwise waits for the endpoint to change.
     */
    private void probeFromQueue() throws InterruptedException {
        if (!health.claimProbeFromQueue()) {
            if (!(stopping && nothingLeft())) {
                health.awaitChange(TimeUnit.NANOSECONDS.toMillis(IDLE_POLL_NANOS));
            }
            return;
        }
        final List<WebhookEvent> events = take(1, 0);
        if (events.isEmpty()) {
            final Job parked = health.probeNotTaken();
            if (parked != null) {
                attempt(parked);
            }
            return;
        }
        final Job probe = new Job(events, idFor(events));
        probe.probe = true;
        probe.borrowed = true;
        launch(probe);
    }

    private boolean nothingLeft() {
        return queue.size() == 0 && (ordering == null || ordering.held() == 0);
    }

    /**
     * The {@code webhook-id}: an event from the disk queue has the one it was stored with (so a copy sent
     * again after a restart or a crash carries the same id); a batch's is its first event's, with the count.
     */
    private String idFor(final List<WebhookEvent> events) {
        final WebhookEvent first = events.get(0);
        if (first instanceof StoredEvent) {
            final String id = ((StoredEvent) first).id();
            return events.size() == 1 ? id : id + "-" + events.size();
        }
        return idPrefix + Long.toString(idSequence.incrementAndGet(), 36);
    }

    /** A job that holds a slot makes its first attempt (the caller saw the endpoint sending). */
    private void launch(final Job job) {
        track(job);
        attempt(job);
    }

    private void track(final Job job) {
        active.add(job);
        inDelivery.addAndGet(job.events.size());
        job.firstAttemptMillis = System.currentTimeMillis();
    }

    /** The request in the route's configuration: its body is a single object, or an array when batching. */
    private static void render(final Job job, final Route route) {
        job.rendered = route.render(job);
        job.renderedFor = route;
    }

    private void attempt(final Job job) {
        if (closing) {
            abandon(job);
            return;
        }
        Route current = route;
        while (!current.begin()) {
            current = route; // retired between the read and the start: the newer one is current
        }
        try {
            if (job.renderedFor != current) {
                // first attempt, or reloaded since the last one: the new url, headers and encoding apply from now on
                render(job, current);
            }
        } catch (final RuntimeException e) {
            current.end();
            LOG.error("mqtt-webhook: endpoint {} cannot serialize {}; counted as failed.other", name, job.events, e);
            if (job.settle()) {
                metrics.failed(0, job.events.size());
                deadLetters.job(job, DeadLetterCause.SERIALIZATION_FAILED, "the body cannot be written: " + e);
                finish(job);
            }
            return;
        }
        health.attemptStarts(job);
        job.attempts++;
        job.lastAttemptMillis = System.currentTimeMillis();
        job.attemptStartNanos = System.nanoTime();
        final Route attempt = current;
        job.attemptRoute = attempt;
        metrics.requestSent();
        inFlight.incrementAndGet();
        final AtomicBoolean reported = new AtomicBoolean();
        job.deadlineNanos = job.attemptStartNanos + current.config.cancelTimeout().toNanos();
        final java.util.function.Consumer<Outcome> done = outcome -> {
            if (reported.compareAndSet(false, true)) {
                job.deadlineNanos = Long.MAX_VALUE;
                inFlight.decrementAndGet();
                attempt.end();
                if (outcome.delivered()) {
                    // the common case is short and never blocks: settle it here, on the I/O thread
                    completed(job, outcome);
                } else {
                    // retries, logging and backoff run on the plugin's timer
                    execute(() -> completed(job, outcome));
                }
            }
        };
        try {
            job.request = current.sender.send(current.outgoing(job, Objects.requireNonNull(job.rendered)), done);
        } catch (final RuntimeException e) {
            // the client was closed under this attempt (a stop): it failed like any attempt without an answer
            done.accept(Outcome.failed(e.toString()));
        }
    }

    /** Cancels every attempt that has run longer than its cancel_timeout; the callback then reports it. */
    private void cancelOverdue() {
        final long now = System.nanoTime();
        for (final Job job : active) {
            final Future<?> request = job.request;
            if (now - job.deadlineNanos > 0 && request != null) {
                request.cancel(true);
            }
        }
    }

    private void completed(final Job job, final Outcome outcome) {
        job.last = outcome;
        switch (outcome.kind) {
            case DELIVERED:
                health.answered(job, true);
                if (job.settle()) {
                    final long now = System.currentTimeMillis();
                    metrics.delivered(job.events.size(), System.nanoTime() - job.attemptStartNanos,
                            job.oldestEventMillis(), now);
                    finish(job);
                }
                break;
            case REFUSED:
                health.answered(job, true);
                if (job.settle()) {
                    metrics.failed(outcome.status, job.events.size());
                    deadLetters.job(job, DeadLetterCause.refused(outcome.status), null);
                    finish(job);
                }
                break;
            case RETRY:
                health.answered(job, false);
                job.countedAttempts++;
                retryOrGiveUp(job, outcome);
                break;
            case OUTAGE:
                final EndpointHealth.Cost cost = health.outage(job, outcome);
                if (cost == EndpointHealth.Cost.COUNTED) {
                    job.countedAttempts++;
                }
                if (cost != EndpointHealth.Cost.PARKED) {
                    retryOrGiveUp(job, outcome);
                }
                break;
            case THROTTLED:
                final long pause = Backoff.retryAfterMillis(outcome.retryAfter);
                health.pause(job, outcome, pause > 0 ? pause : route.backoff.delayMillis(job.attempts, null));
                break;
            case GONE:
                health.gone(job);
                break;
            default:
                throw new IllegalStateException(outcome.kind.name());
        }
    }

    private void retryOrGiveUp(final Job job, final Outcome outcome) {
        final Route current = route;
        if (closing) {
            abandon(job);
        } else if (job.countedAttempts < current.config.maxAttempts()) {
            metrics.retried();
            // attempts the endpoint did not count still lengthen the wait, up to retry.max_backoff
            final long delay = current.backoff.delayMillis(Math.max(job.countedAttempts, job.attempts), outcome.retryAfter);
            LOG.debug("mqtt-webhook: endpoint {} {} failed ({}), next attempt in {} ms", name, job, outcome, delay);
            schedule(() -> retry(job), delay);
        } else {
            LOG.debug("mqtt-webhook: endpoint {} {} given up, last: {}", name, job, outcome);
            settleDropped(job, DropCause.RETRIES_EXHAUSTED);
        }
    }

    /** A retry came due: sent now, or parked while the endpoint is down or paused. */
    private void retry(final Job job) {
        if (closing) {
            abandon(job);
        } else if (health.sending() || health.park(job)) {
            attempt(job);
        }
    }

    @Override
    public void scheduleProbe(final long delayMillis) {
        schedule(() -> {
            final Job probe = health.probeDue();
            if (probe != null) {
                attempt(probe);
            }
        }, delayMillis);
    }

    @Override
    public void schedulePauseEnd(final long delayMillis) {
        schedule(health::pauseEnded, delayMillis);
    }

    @Override
    public void resume(final List<Job> jobs) {
        for (final Job job : jobs) {
            execute(() -> retry(job));
        }
    }

    @Override
    public long waiting() {
        return metrics.queued();
    }

    /** While the endpoint fails, one line per report interval: since when, how often, how far behind. */
    private void reportHealth() {
        if (health.consecutiveFailures() != 0) {
            LOG.warn("mqtt-webhook: endpoint {} {}; {} event(s) queued, the oldest {} ms old", name, health.describe(),
                    metrics.queued(), metrics.oldestQueuedAgeMillis());
        }
    }

    /**
     * The webhook is stopping and this job will not be tried again: a durable queue keeps its events for the
     * next start (they are not settled); otherwise they are counted dropped for the shutdown.
     */
    private void abandon(final Job job) {
        if (!queue.durable()) {
            settleDropped(job, DropCause.SHUTDOWN);
        } else if (job.settle()) {
            ended(job);
        }
    }

    private void settleDropped(final Job job, final DropCause cause) {
        if (job.settle()) {
            metrics.dropped(cause, job.events.size());
            deadLetters.job(job, DeadLetterCause.of(cause), null);
            finish(job);
        }
    }

    private void ended(final Job job) {
        active.remove(job);
        inDelivery.addAndGet(-job.events.size());
        if (stopping) {
            drainLock.lock();
            try {
                drained.signalAll();
            } finally {
                drainLock.unlock();
            }
        }
    }

    /**
     * The job has ended: its slot goes to the next events of its clients, or straight to the next events
     * waiting when there are enough for a full request (no hand-off to the dispatcher thread, which costs
     * more than the request under load), or back to the pool.
     */
    private void finish(final Job job) {
        queue.settled(job.events);
        ended(job);
        if (ordering != null && !closing) {
            final List<WebhookEvent> next = ordering.release(job.events, route.config.batchMaxEvents());
            if (!next.isEmpty()) {
                // the client's next events take the slot; if the endpoint went down meanwhile they wait for it
                final Job following = new Job(next, idFor(next));
                following.borrowed = job.borrowed;
                track(following);
                retry(following);
                return;
            }
        }
        if (job.borrowed) {
            health.borrowedEnded(); // it held no slot of the pool
            return;
        }
        final List<WebhookEvent> next = takeFullBatch();
        if (next.isEmpty()) {
            slots.release();
        } else {
            launch(new Job(next, idFor(next)));
        }
    }

    /**
     * A full request's worth of waiting events, without waiting; empty when fewer are queued, while the
     * endpoint is not sending at full pool, while the pool is over its size after a reload, or with
     * per-client ordering (the dispatcher admits those).
     */
    private List<WebhookEvent> takeFullBatch() {
        final int max = route.config.batchMaxEvents();
        if (closing || ordering != null || !health.sending() || slots.overSize() || queue.size() < max
                || limiter.tryAcquire(max) == 0) {
            return List.of();
        }
        List<WebhookEvent> taken = List.of();
        try {
            taken = queue.poll(max, 0, 0);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        limiter.release(max, taken.size());
        return taken;
    }

    private void schedule(final Runnable task, final long delayMillis) {
        try {
            timer.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        } catch (final RejectedExecutionException stopped) {
            // the timer is shut down only after every delivery has closed: nothing is pending by then
        }
    }

    private void execute(final Runnable task) {
        schedule(task, 0);
    }

    /**
     * Applies a reloaded configuration without dropping anything: url, headers, TLS, encoding, signing,
     * timeouts, retries, circuit, batching and pool size take effect for every attempt that starts from now
     * on. Attempts already under way finish on the old connections, which are closed once the last of them
     * ends (or at stop). The queue and the ordering mode keep their values until a restart.
     */
    void reconfigure(final EndpointConfig config) {
        final Route old = route;
        if (old == null) {
            throw new IllegalStateException("reconfigured before start");
        }
        route = newRoute(config);
        slots.resize(old.config.poolSize(), config.poolSize());
        health.configure(config.circuitThreshold(), route.backoff);
        limiter.configure(config.rateLimit());
        old.retire();
        routes.removeIf(Route::isClosed);
        if (!old.config.sameAs(config)) {
            health.configurationChanged();
        }
    }

    /**
     * Stops taking events, delivers what it can until {@code deadlineNanos} (System.nanoTime), counts the
     * rest as dropped (memory) or leaves it in the file (disk), and closes every HTTP client this delivery
     * ever had. The caller has already stopped offering events.
     */
    void close(final long deadlineNanos, final DropCause cause) {
        stopping = true;
        try {
            if (thread != null) {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime())));
            }
            drainLock.lock();
            try {
                while (!active.isEmpty()) {
                    final long left = deadlineNanos - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    drained.awaitNanos(Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
                }
            } finally {
                drainLock.unlock();
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closing = true;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(1000);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (sweep != null) {
            sweep.cancel(false);
            report.cancel(false);
        }
        for (final Job job : health.takeParked()) {
            settleAtStop(job, cause);
        }
        for (final Job job : active) {
            final Future<?> request = job.request;
            if (request != null) {
                request.cancel(true);
            }
            settleAtStop(job, cause);
        }
        final List<WebhookEvent> left = new ArrayList<>(queue.drainAll());
        if (ordering != null) {
            // held events were taken from the queue: a durable queue still has them
            final List<WebhookEvent> held = ordering.drainAll();
            if (!queue.durable()) {
                left.addAll(held);
            }
        }
        if (!left.isEmpty()) {
            metrics.dropped(cause, left.size());
            deadLetters.events(DeadLetterCause.of(cause), left);
        }
        for (final Route each : routes) {
            each.close(); // the current one, and any retired one whose last attempt had not ended
        }
        routes.clear();
        lossReporter.run();
    }

    private void settleAtStop(final Job job, final DropCause cause) {
        if (queue.durable()) {
            if (job.settle()) {
                ended(job);
            }
        } else {
            settleDropped(job, cause);
        }
    }
}
