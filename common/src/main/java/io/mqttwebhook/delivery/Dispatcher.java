package io.mqttwebhook.delivery;

import io.mqttwebhook.config.Ordering;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.event.EventBodies;
import io.mqttwebhook.event.WebhookEvent;
import io.mqttwebhook.metrics.WebhookMetrics;
import io.mqttwebhook.metrics.WebhookMetrics.DropCause;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Takes events from the {@link EventQueue} and delivers them: serializes, signs, POSTs through
 * {@link HttpSender}, retries with backoff, and accounts for every event exactly once (delivered, failed,
 * or dropped by cause). A "slot" is held by a request from its first attempt to its end, retries and their
 * waits included, so at most {@code pool_size} requests are open and the queue, not an unbounded retry
 * list, absorbs an outage. Runs on its own threads: one dispatcher, one scheduler, the HTTP client's I/O.
 */
public final class Dispatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Dispatcher.class);
    private static final long IDLE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
    private static final long LOSS_REPORT_SECONDS = 10;
    /** How often requests are checked against cancel_timeout: one sweep instead of a timer per request. */
    private static final long SWEEP_MILLIS = 20;

    private final EventQueue queue;
    private final WebhookMetrics metrics;
    /** Everything a reload may change, swapped as one; each attempt uses the route current at its start. */
    private volatile Route route;
    private final ClientOrdering ordering;
    private final Slots slots;
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger inDelivery = new AtomicInteger();
    private final Set<Job> active = ConcurrentHashMap.newKeySet();
    private final ScheduledThreadPoolExecutor scheduler;
    private final Thread thread;
    private final LossReporter lossReporter;
    private final String idPrefix;
    private final AtomicLong idSequence = new AtomicLong();
    private volatile String lastFailure;
    private volatile boolean stopping;
    private volatile boolean closing;

    public Dispatcher(final WebhookConfig config, final EventQueue queue, final WebhookMetrics metrics) {
        this.queue = queue;
        this.metrics = metrics;
        this.ordering = config.ordering() == Ordering.PER_CLIENT ? new ClientOrdering() : null;
        this.slots = new Slots(config.poolSize());
        final byte[] random = new byte[9];
        new SecureRandom().nextBytes(random);
        // unique across restarts and nodes: a receiver can drop duplicates by webhook-id
        this.idPrefix = "msg_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random) + "_";
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "mqtt-webhook-scheduler"));
        scheduler.setRemoveOnCancelPolicy(true);
        this.route = new Route(config);
        metrics.bindGauges(() -> queue.size() + (ordering == null ? 0 : ordering.held()), inFlight::get,
                inDelivery::get);
        metrics.bindOldestQueuedAge(() -> {
            final WebhookEvent oldest = queue.peek();
            return oldest == null ? 0 : Math.max(0, System.currentTimeMillis() - oldest.createdMillis());
        });
        this.thread = daemon(this::run, "mqtt-webhook-dispatcher");
        this.lossReporter = new LossReporter(metrics, "endpoint " + config.urlForLog());
        scheduler.scheduleWithFixedDelay(() -> {
            lossReporter.run();
            reportHealth();
        }, LOSS_REPORT_SECONDS, LOSS_REPORT_SECONDS, TimeUnit.SECONDS);
        scheduler.scheduleWithFixedDelay(this::cancelOverdue, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
        thread.start();
    }

    private static Thread daemon(final Runnable runnable, final String name) {
        final Thread t = new Thread(runnable, name);
        t.setDaemon(true);
        return t;
    }

    private void run() {
        try {
            while (!closing) {
                final WebhookConfig config = route.config;
                if (!slots.tryAcquire(IDLE_POLL_NANOS, TimeUnit.NANOSECONDS)) {
                    continue;
                }
                if (ordering != null && ordering.held() >= config.queueCapacity()) {
                    // one busy client filled the hold: wait for its requests to end before taking more
                    slots.release();
                    Thread.sleep(5);
                    continue;
                }
                List<WebhookEvent> events =
                        queue.poll(config.batchMaxEvents(), IDLE_POLL_NANOS, config.batchMaxDelay().toNanos());
                if (ordering != null && !events.isEmpty()) {
                    events = ordering.admit(events);
                }
                if (events.isEmpty()) {
                    slots.release();
                    if (stopping && queue.size() == 0 && (ordering == null || ordering.held() == 0)) {
                        return;
                    }
                    continue;
                }
                launch(new Job(events, nextId()));
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (final RuntimeException | Error e) {
            LOG.error("mqtt-webhook dispatcher stopped unexpectedly; events are no longer delivered", e);
        }
    }

    /** While the endpoint fails, one line per report interval: since when, how often, how far behind. */
    private void reportHealth() {
        final long since = metrics.failingSinceMillis();
        if (since != 0) {
            LOG.warn("mqtt-webhook: the endpoint {} has been failing since {} ({} consecutive failed attempts, last: {});"
                            + " {} event(s) queued, the oldest {} ms old", route.config.urlForLog(),
                    java.time.Instant.ofEpochMilli(since), metrics.consecutiveFailures(), lastFailure, metrics.queued(),
                    metrics.oldestQueuedAgeMillis());
        }
    }

    private String nextId() {
        return idPrefix + Long.toString(idSequence.incrementAndGet(), 36);
    }

    /** Serializes a job that holds a slot and makes its first attempt. */
    private void launch(final Job job) {
        active.add(job);
        inDelivery.addAndGet(job.events.size());
        if (closing) {
            abandon(job);
            return;
        }
        try {
            serialize(job, route);
        } catch (final RuntimeException e) {
            LOG.error("mqtt-webhook cannot serialize {}; counted as failed.other", job.events, e);
            if (job.settle()) {
                metrics.failed(0, job.events.size());
                finish(job);
            }
            return;
        }
        attempt(job);
    }

    /** The body in the route's encoding: a single object, or an array when batching. */
    private static void serialize(final Job job, final Route route) {
        job.body = job.events.size() == 1 && route.config.batchMaxEvents() == 1
                ? route.bodies.single(job.events.get(0)) : route.bodies.batch(job.events);
        job.bodyRoute = route;
    }

    private void attempt(final Job job) {
        if (closing) {
            abandon(job);
            return;
        }
        final Route current = route;
        if (job.bodyRoute != current) {
            // reloaded since the last attempt: the new url, headers and encoding apply from now on
            serialize(job, current);
        }
        job.attempts++;
        job.attemptStartNanos = System.nanoTime();
        metrics.requestSent();
        inFlight.incrementAndGet();
        final AtomicBoolean reported = new AtomicBoolean();
        job.deadlineNanos = job.attemptStartNanos + current.config.cancelTimeout().toNanos();
        job.request = current.sender.send(job.id, job.body, outcome -> {
            if (reported.compareAndSet(false, true)) {
                job.deadlineNanos = Long.MAX_VALUE;
                inFlight.decrementAndGet();
                if (outcome.delivered()) {
                    // the common case is short and never blocks: settle it here, on the I/O thread
                    completed(job, outcome);
                } else {
                    // retries, logging and backoff run on the plugin's scheduler
                    execute(() -> completed(job, outcome));
                }
            }
        });
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

    private void completed(final Job job, final HttpSender.Outcome outcome) {
        if (outcome.retryable()) {
            lastFailure = outcome.toString();
            if (metrics.attemptFailed()) {
                LOG.warn("mqtt-webhook: the endpoint {} is failing: {}; events wait in the queue and are retried",
                        route.config.urlForLog(), outcome);
            }
        } else {
            final long ended = metrics.attemptAnswered();
            if (ended > 0) {
                LOG.info("mqtt-webhook: the endpoint {} answers again after {} failed attempt(s); {} event(s) queued,"
                        + " the oldest {} ms old", route.config.urlForLog(), ended, metrics.queued(),
                        metrics.oldestQueuedAgeMillis());
            }
        }
        if (outcome.delivered()) {
            if (job.settle()) {
                metrics.delivered(job.events.size(), (System.nanoTime() - job.attemptStartNanos) / 1000);
                finish(job);
            }
        } else if (outcome.retryable()) {
            final Route current = route;
            if (job.attempts < current.config.maxAttempts() && !closing) {
                metrics.retried();
                final long delay = current.backoff.delayMillis(job.attempts, outcome.retryAfter);
                LOG.debug("mqtt-webhook id={} attempt {} failed ({}), next in {}ms", job.id, job.attempts, outcome, delay);
                schedule(() -> attempt(job), delay);
            } else {
                LOG.debug("mqtt-webhook id={} dropped after {} attempts, last: {}", job.id, job.attempts, outcome);
                if (closing) {
                    abandon(job);
                } else {
                    settleDropped(job, DropCause.RETRIES_EXHAUSTED);
                }
            }
        } else if (job.settle()) {
            metrics.failed(outcome.status, job.events.size());
            finish(job);
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
            active.remove(job);
            inDelivery.addAndGet(-job.events.size());
        }
    }

    private void settleDropped(final Job job, final DropCause cause) {
        if (job.settle()) {
            metrics.dropped(cause, job.events.size());
            finish(job);
        }
    }

    /**
     * The job has ended: its slot goes to the next events of its clients, or straight to the next events
     * waiting when there are enough for a full request (no hand-off to the dispatcher thread, which costs
     * more than the request under load), or back to the pool.
     */
    private void finish(final Job job) {
        active.remove(job);
        inDelivery.addAndGet(-job.events.size());
        queue.settled(job.events);
        if (ordering != null && !closing) {
            final List<WebhookEvent> next = ordering.release(job.events, route.config.batchMaxEvents());
            if (!next.isEmpty()) {
                launch(new Job(next, nextId()));
                return;
            }
        }
        final List<WebhookEvent> next = takeFullBatch();
        if (next.isEmpty()) {
            slots.release();
        } else {
            launch(new Job(next, nextId()));
        }
    }

    /**
     * A full request's worth of waiting events, without waiting; empty when fewer are queued, while the
     * pool is over its size after a reload, or with per-client ordering (the dispatcher admits those).
     */
    private List<WebhookEvent> takeFullBatch() {
        final int max = route.config.batchMaxEvents();
        if (closing || ordering != null || slots.availablePermits() < 0 || queue.size() < max) {
            return List.of();
        }
        try {
            return queue.poll(max, 0, 0);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    private ScheduledFuture<?> schedule(final Runnable task, final long delayMillis) {
        try {
            return scheduler.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        } catch (final java.util.concurrent.RejectedExecutionException stopped) {
            return null;
        }
    }

    private void execute(final Runnable task) {
        try {
            scheduler.execute(task);
        } catch (final java.util.concurrent.RejectedExecutionException stopped) {
            // closed: the job is settled as dropped by close()
        }
    }

    /**
     * Applies a reloaded configuration without dropping anything: url, headers, TLS, encoding, signing,
     * timeouts, retries, batching and pool size take effect for every attempt that starts from now on.
     * Requests already under way finish on the old connections, which are closed once they can no longer
     * be in use. The queue (capacity, overflow) and the ordering mode keep their values until a restart.
     */
    public void reconfigure(final WebhookConfig config) {
        final Route old = route;
        route = new Route(config);
        slots.resize(old.config.poolSize(), config.poolSize());
        final long oldRequestsEndMillis = old.config.cancelTimeout().toMillis() + 1000;
        if (schedule(old.sender::close, oldRequestsEndMillis) == null) {
            old.sender.close();
        }
    }

    /**
     * Stops taking events, delivers what it can within {@code shutdown.drain_timeout}, counts the rest as
     * dropped (cause shutdown) and releases every thread and connection. The caller has already stopped
     * offering events.
     */
    @Override
    public void close() {
        final long deadline = System.nanoTime() + route.config.drainTimeout().toNanos();
        stopping = true;
        try {
            thread.join(Math.max(1, remainingMillis(deadline)));
            while (!active.isEmpty() && remainingMillis(deadline) > 0) {
                Thread.sleep(10);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closing = true;
        thread.interrupt();
        try {
            thread.join(1000);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (final Job job : active) {
            final Future<?> request = job.request;
            if (request != null) {
                request.cancel(true);
            }
            abandon(job);
        }
        int left = queue.drainAll().size();
        if (ordering != null) {
            // held events were taken from the queue: a durable queue still has them
            final int held = ordering.drainAll().size();
            left += queue.durable() ? 0 : held;
        }
        if (left > 0) {
            metrics.dropped(DropCause.SHUTDOWN, left);
        }
        scheduler.shutdownNow();
        route.sender.close();
        try {
            scheduler.awaitTermination(2, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        lossReporter.run();
    }

    private static long remainingMillis(final long deadlineNanos) {
        return TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime());
    }

    /** The delivery settings of one configuration, with the HTTP client built for them. */
    private static final class Route {
        final WebhookConfig config;
        final HttpSender sender;
        final EventBodies bodies;
        final Backoff backoff;

        Route(final WebhookConfig config) {
            this.config = config;
            this.sender = new HttpSender(config);
            this.bodies = new EventBodies(config.encoding());
            this.backoff = new Backoff(config.initialBackoff(), config.maxBackoff());
        }
    }

    /** The {@code pool_size} slots, which a reload can grow or shrink. */
    private static final class Slots extends Semaphore {
        private static final long serialVersionUID = 1L;

        Slots(final int permits) {
            super(permits);
        }

        void resize(final int from, final int to) {
            if (to > from) {
                release(to - from);
            } else if (to < from) {
                // slots in use are not taken back: the pool shrinks as their requests end
                reducePermits(from - to);
            }
        }
    }

    /** Events of one request, from its first attempt to its end. */
    private static final class Job {
        final List<WebhookEvent> events;
        final String id;
        final AtomicBoolean settled = new AtomicBoolean();
        byte[] body;
        Route bodyRoute;
        int attempts;
        long attemptStartNanos;
        /** When the attempt under way passes cancel_timeout; MAX_VALUE while none is. */
        volatile long deadlineNanos = Long.MAX_VALUE;
        volatile Future<?> request;

        Job(final List<WebhookEvent> events, final String id) {
            this.events = events;
            this.id = id;
        }

        /** True for the one caller that decides this job's outcome. */
        boolean settle() {
            return settled.compareAndSet(false, true);
        }
    }

}
