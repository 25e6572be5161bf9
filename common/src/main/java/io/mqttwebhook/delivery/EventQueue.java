package io.mqttwebhook.delivery;

import io.mqttwebhook.event.WebhookEvent;
import org.jspecify.annotations.Nullable;

import java.util.List;

/**
 * Where matched events wait for delivery. {@link #offer} is called on broker threads: it never blocks and
 * never waits for a lock that is held across I/O; when the queue is full it applies the configured
 * overflow policy and counts the drop. Implementations: {@link MemoryEventQueue}, {@link DiskEventQueue}.
 */
public interface EventQueue {

    /** Accepts an event, or drops one (this or the oldest) by the overflow policy. Never blocks. */
    void offer(WebhookEvent event);

    /**
     * Waits up to {@code firstWaitNanos} for an event, then takes up to {@code max} events, waiting at most
     * {@code lingerNanos} more to fill the batch. Empty when nothing arrived in time.
     */
    List<WebhookEvent> poll(int max, long firstWaitNanos, long lingerNanos) throws InterruptedException;

    /** Events waiting. */
    int size();

    /** The event that has waited longest, without removing it; null when empty. */
    @Nullable WebhookEvent peek();

    /** Removes and returns every waiting event (at stop, to count them); a durable queue keeps them instead. */
    List<WebhookEvent> drainAll();

    /** These events, taken by {@link #poll}, have ended (delivered, failed or dropped): a durable queue forgets them. */
    default void settled(final List<WebhookEvent> events) {
    }

    /** Whether events taken but not settled, and events waiting, survive a stop or a crash. */
    default boolean durable() {
        return false;
    }

    /**
     * The slow part of starting (opening a file), on a plugin thread before delivery starts; offers made
     * before it wait in memory. Returns how many events were found from before a restart.
     */
    default long open() {
        return 0;
    }

    /** Releases files and threads, after delivery has stopped. Returns the events kept for the next start. */
    default long close() {
        return 0;
    }
}
