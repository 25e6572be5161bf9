package io.mqttwebhook.delivery;

import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.event.EventBodies;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one configuration of an endpoint delivers with: its settings, the HTTP client built for them, the
 * body writer and the backoff. A reload makes a new route; the old one is retired and its client closed
 * as soon as no attempt runs on it any more (or at stop, whichever comes first).
 */
final class Route {

    private static final int RETIRED = 1 << 30;

    final EndpointConfig config;
    final HttpSender sender;
    final EventBodies bodies;
    final Backoff backoff;
    /** Attempts under way on this route, plus {@link #RETIRED} once it is no longer current. */
    private final AtomicInteger state = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();

    Route(final EndpointConfig config) {
        this.config = config;
        this.sender = new HttpSender(config);
        this.bodies = new EventBodies(config.encoding());
        this.backoff = new Backoff(config.initialBackoff(), config.maxBackoff());
    }

    /** An attempt starts on this route; false when it was retired meanwhile (use the current one). */
    boolean begin() {
        while (true) {
            final int current = state.get();
            if ((current & RETIRED) != 0) {
                return false;
            }
            if (state.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /** An attempt on this route has ended. */
    void end() {
        if (state.decrementAndGet() == RETIRED) {
            close();
        }
    }

    /** No attempt starts here any more; the client closes when the last one ends. */
    void retire() {
        if (state.updateAndGet(s -> s | RETIRED) == RETIRED) {
            close();
        }
    }

    boolean isClosed() {
        return closed.get() != 0;
    }

    /** Closes the HTTP client (once): its pool and I/O threads. */
    void close() {
        if (closed.compareAndSet(0, 1)) {
            sender.close();
        }
    }
}
