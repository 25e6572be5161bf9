package io.mqttwebhook.delivery;

import io.mqttwebhook.event.WebhookEvent;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * {@code ordering = per_client}: a client's next event waits until its previous request has ended
 * (delivered, failed or dropped). Events of a client whose request is still open are held here, in order;
 * when the request ends they go out next, ahead of anything newer from that client.
 */
final class ClientOrdering {

    /** Clients with a request open: their further events wait in {@link #waiting}. */
    private final Set<String> busy = new HashSet<>();
    private final Map<String, ArrayDeque<WebhookEvent>> waiting = new HashMap<>();
    private int held;

    /** Splits freshly polled events: what may be sent now (returned) and what must wait (kept). */
    synchronized List<WebhookEvent> admit(final List<WebhookEvent> events) {
        final List<WebhookEvent> now = new ArrayList<>(events.size());
        final Set<String> admittedNow = new HashSet<>();
        for (final WebhookEvent event : events) {
            final String client = event.clientId();
            // several events of one client may share a request (a batch keeps their order)
            if (busy.contains(client) && !admittedNow.contains(client)) {
                waiting.computeIfAbsent(client, c -> new ArrayDeque<>()).add(event);
                held++;
            } else {
                busy.add(client);
                admittedNow.add(client);
                now.add(event);
            }
        }
        return now;
    }

    /**
     * The request carrying {@code done} has ended: returns the events that go out next for its clients (at
     * most {@code max}, at least the first waiting event of each), or an empty list.
     */
    synchronized List<WebhookEvent> release(final List<WebhookEvent> done, final int max) {
        final Set<String> clients = new LinkedHashSet<>();
        for (final WebhookEvent event : done) {
            clients.add(event.clientId());
        }
        final List<WebhookEvent> next = new ArrayList<>();
        final List<String> continuing = new ArrayList<>();
        for (final String client : clients) {
            final ArrayDeque<WebhookEvent> queue = waiting.get(client);
            if (queue == null) {
                busy.remove(client);
            } else {
                next.add(queue.poll());
                held--;
                continuing.add(client);
            }
        }
        // fill the rest of the request with further waiting events of the same clients, in order
        for (final String client : continuing) {
            final ArrayDeque<WebhookEvent> queue = Objects.requireNonNull(waiting.get(client));
            while (next.size() < max && !queue.isEmpty()) {
                next.add(queue.poll());
                held--;
            }
            if (queue.isEmpty()) {
                waiting.remove(client);
            }
        }
        if (!next.isEmpty()) {
            notifyAll();
        }
        return next;
    }

    /**
     * Waits up to {@code nanos} while {@code capacity} or more events are held back (one busy client filled
     * the hold); true when there is room.
     */
    synchronized boolean awaitRoom(final int capacity, final long nanos) throws InterruptedException {
        if (held >= capacity) {
            wait(Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(nanos)));
        }
        return held < capacity;
    }

    /** Events held back. */
    synchronized int held() {
        return held;
    }

    /** Removes every held event (at stop). */
    synchronized List<WebhookEvent> drainAll() {
        final List<WebhookEvent> rest = new ArrayList<>(held);
        waiting.values().forEach(rest::addAll);
        waiting.clear();
        busy.clear();
        held = 0;
        return rest;
    }
}
