package io.mqttwebhook.delivery;

import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.QueueType;
import io.mqttwebhook.event.WebhookEvent;
import io.mqttwebhook.metrics.DeadLetterCause;
import io.mqttwebhook.metrics.EndpointMetrics;
import io.mqttwebhook.metrics.WebhookMetrics.DropCause;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.LongAdder;

/**
 * One endpoint while the webhook runs: its queue, its delivery and its metrics, isolated from every other
 * endpoint (a hanging one fills only its own queue and pool). It lives as long as its name is in the
 * configuration: a reload that keeps the name reconfigures it, one that drops the name closes it.
 * <p>
 * Accounting: every {@link #offer} counts the copy as matched; it ends delivered, failed or dropped, or (disk)
 * kept in the file at stop. An offer that arrives after the endpoint stopped taking events is counted
 * dropped with the stop's cause, never ignored. Every event given up also goes to its {@link DeadLetters}
 * (when they are on), which are written out before the stop line is logged.
 */
public final class Endpoint {

    private static final Logger LOG = LoggerFactory.getLogger(Endpoint.class);

    private final String name;
    private final EndpointMetrics metrics;
    private final EventQueue queue;
    private final Delivery delivery;
    private final DeadLetters deadLetters;
    /** Offers that have finished; with the matched count, tells when no offer is under way any more. */
    private final LongAdder offersDone = new LongAdder();
    private volatile boolean accepting = true;
    private volatile DropCause refusal = DropCause.SHUTDOWN;
    private volatile EndpointConfig config;
    private long recovered;

    /** Builds the endpoint without starting anything slow: offers are accepted (and queued) from now on. */
    public Endpoint(final EndpointConfig config, final EndpointMetrics metrics, final ScheduledExecutorService timer) {
        this.name = config.name();
        this.config = config;
        this.metrics = metrics;
        this.deadLetters = DeadLetters.of(config, metrics);
        this.queue = config.queueType() == QueueType.DISK
                ? new DiskEventQueue(Objects.requireNonNull(config.queueDir()), config.queueMaxBytes(),
                        config.queueOverflow(), config.queueSyncInterval(), metrics, deadLetters)
                : new MemoryEventQueue(config.queueCapacity(), config.queueOverflow(), metrics, deadLetters);
        this.delivery = new Delivery(config, queue, metrics, timer, deadLetters);
    }

    public String name() {
        return name;
    }

    public EndpointConfig config() {
        return config;
    }

    public EndpointMetrics metrics() {
        return metrics;
    }

    /** One copy of a matched event (on a broker thread): queued in constant time, never blocks. */
    public void offer(final WebhookEvent event) {
        metrics.matched();
        try {
            if (accepting) {
                queue.offer(event);
            } else {
                metrics.dropped(refusal, 1);
                deadLetters.event(DeadLetterCause.of(refusal), event);
            }
        } finally {
            offersDone.increment();
        }
    }

    /** The slow part of starting, on a plugin thread: opens the disk queue and starts delivery. */
    public void start() {
        deadLetters.start();
        try {
            recovered = queue.open();
            metrics.recovered(recovered);
        } catch (final RuntimeException e) {
            ((DiskEventQueue) queue).failed(e);
        }
        delivery.start();
    }

    /** Applies a reloaded configuration of this endpoint (see {@link Delivery#reconfigure}). */
    public void reconfigure(final EndpointConfig next) {
        delivery.reconfigure(next);
        deadLetters.reconfigure(next);
        config = next;
    }

    /**
     * From now on offers are refused and counted dropped with {@code cause}; returns once no offer that saw
     * the endpoint accepting is still under way, so that the drain that follows sees every accepted event.
     */
    public void stopAccepting(final DropCause cause) {
        refusal = cause;
        accepting = false;
        while (offersDone.sum() != metrics.matchedCount()) {
            Thread.yield(); // a broker thread is between its matched count and its queue offer
        }
    }

    /**
     * Delivers what it can until {@code deadlineNanos}, then settles the rest ({@code cause} for a memory
     * queue, kept in the file for a disk one), releases threads, connections and the file, and logs the
     * endpoint's accounting: {@code recovered + matched == delivered + failed + dropped + kept}.
     */
    public void close(final long deadlineNanos, final DropCause cause) {
        delivery.close(deadlineNanos, cause);
        final long kept = queue.close();
        deadLetters.close(); // after the queue: its last drops are dead letters too
        LOG.info("mqtt-webhook stopped endpoint {}: {}{}", name, metrics.accounting(),
                (queue.durable() ? " recovered=" + recovered + " kept=" + kept + " (in " + config.queueDir() + ")" : "")
                        + (deadLetters.enabled() ? "; dead letters in " + config.deadLetterDir() : ""));
    }
}
