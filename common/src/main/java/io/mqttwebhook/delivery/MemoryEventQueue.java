package io.mqttwebhook.delivery;

import io.mqttwebhook.config.QueueOverflow;
import io.mqttwebhook.event.WebhookEvent;
import io.mqttwebhook.metrics.DeadLetterCause;
import io.mqttwebhook.metrics.EndpointMetrics;
import io.mqttwebhook.metrics.WebhookMetrics.DropCause;
import org.jspecify.annotations.Nullable;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A bounded in-memory queue. An array-backed queue allocates nothing per event; its lock is held only for
 * the array operation itself, never across I/O, so a broker thread's {@link #offer} is constant time. The
 * consumer waits through a {@link Wakeup}: a broker thread wakes it only when it sleeps, and while traffic
 * flows it takes what arrived every tick, and fills a batch in ticks of {@value #LINGER_TICK_MICROS} µs. An event
 * the overflow policy drops goes to the endpoint's {@link DeadLetters} (a hand-off, never a write here).
 */
public final class MemoryEventQueue implements EventQueue {

    private static final long LINGER_TICK_MICROS = 1000;

    private final ArrayBlockingQueue<WebhookEvent> events;
    private final QueueOverflow overflow;
    private final EndpointMetrics metrics;
    private final DeadLetters deadLetters;
    private final Wakeup wakeup = new Wakeup();
    /** The last wait found events: look again after a tick rather than sleep until woken (consumer only). */
    private boolean flowing;

    public MemoryEventQueue(final int capacity, final QueueOverflow overflow, final EndpointMetrics metrics) {
        this(capacity, overflow, metrics, DeadLetters.OFF);
    }

    public MemoryEventQueue(final int capacity, final QueueOverflow overflow, final EndpointMetrics metrics,
                            final DeadLetters deadLetters) {
        this.events = new ArrayBlockingQueue<>(capacity);
        this.overflow = overflow;
        this.metrics = metrics;
        this.deadLetters = deadLetters;
    }

    @Override
    public void offer(final WebhookEvent event) {
        if (events.offer(event)) {
            wakeup.signal();
            return;
        }
        if (overflow == QueueOverflow.DROP_NEWEST) {
            drop(event);
            return;
        }
        while (!events.offer(event)) {
            final WebhookEvent oldest = events.poll();
            if (oldest != null) {
                drop(oldest);
            }
        }
        wakeup.signal();
    }

    /** Only counted and handed off here: the warning is logged by {@link LossReporter} on a plugin thread. */
    private void drop(final WebhookEvent event) {
        metrics.dropped(DropCause.QUEUE_FULL, 1);
        deadLetters.event(DeadLetterCause.QUEUE_FULL, event);
    }

    @Override
    public List<WebhookEvent> poll(final int max, final long firstWaitNanos, final long lingerNanos)
            throws InterruptedException {
        WebhookEvent first = events.poll();
        if (first == null && firstWaitNanos > 0) {
            first = await(firstWaitNanos);
        }
        if (first == null) {
            return List.of();
        }
        final List<WebhookEvent> batch = new ArrayList<>(Math.min(max, 64));
        batch.add(first);
        if (max > 1) {
            events.drainTo(batch, max - 1);
            final long deadline = System.nanoTime() + lingerNanos;
            while (batch.size() < max) {
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                Wakeup.pause(Math.min(left, TimeUnit.MICROSECONDS.toNanos(LINGER_TICK_MICROS)));
                events.drainTo(batch, max - batch.size());
            }
        }
        return batch;
    }

    /** The first event within {@code nanos}, or null. */
    private @Nullable WebhookEvent await(final long nanos) throws InterruptedException {
        final long deadline = System.nanoTime() + nanos;
        WebhookEvent first = null;
        if (flowing) {
            Wakeup.pause(Math.min(nanos, Wakeup.TICK_NANOS));
            first = events.poll();
        }
        while (first == null) {
            final long left = deadline - System.nanoTime();
            if (left <= 0) {
                flowing = false;
                return null;
            }
            wakeup.await(left, () -> !events.isEmpty());
            first = events.poll();
        }
        flowing = true;
        return first;
    }

    @Override
    public int size() {
        return events.size();
    }

    @Override
    public @Nullable WebhookEvent peek() {
        return events.peek();
    }

    @Override
    public List<WebhookEvent> drainAll() {
        final List<WebhookEvent> rest = new ArrayList<>(events.size());
        events.drainTo(rest);
        return rest;
    }
}
