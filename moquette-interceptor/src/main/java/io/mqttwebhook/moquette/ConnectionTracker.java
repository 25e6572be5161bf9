package io.mqttwebhook.moquette;

import io.mqttwebhook.event.ReasonNames;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The open connection of each client id as far as Moquette's notifications tell, so that every connection
 * that got a connack event gets exactly one disconnected event with the right reason. Moquette 0.17 says
 * "disconnect" then "connection lost" for a clean DISCONNECT, only "connection lost" for a dropped socket or a
 * takeover, and may tell the old connection's loss just before the CONNECT that took it over; so a loss is
 * reported {@link #LOSS_CONFIRM_NANOS} after its notification unless a CONNECT with the same id came first.
 * <p>
 * Time and the delayed confirmation come from outside ({@link Clock}, {@link Scheduler}), so that tests drive
 * it with a fake clock. Thread-safe: each client id's state changes only inside the map's compute.
 */
final class ConnectionTracker {

    /** How long a connection-lost notification waits for a CONNECT that makes it a takeover. */
    static final long LOSS_CONFIRM_NANOS = 100_000_000L;
    /** After a takeover or a DISCONNECT, how long the old connection's loss notification is expected. */
    static final long OLD_LOSS_WINDOW_NANOS = 2_000_000_000L;

    /** The monotonic time in nanoseconds. */
    interface Clock extends LongSupplier {
    }

    /** Runs a task once, {@link #LOSS_CONFIRM_NANOS} from now (or at once when it can no longer wait). */
    interface Scheduler {
        void later(Runnable task);
    }

    /** Where the tracker's conclusions go: one call per connection that ended. */
    interface Listener {
        void disconnected(String clientId, String username, String reason);
    }

    private final Clock clock;
    private final Scheduler scheduler;
    private final Listener listener;
    private final Map<String, Connection> connections = new ConcurrentHashMap<>();

    ConnectionTracker(final Clock clock, final Scheduler scheduler, final Listener listener) {
        this.clock = clock;
        this.scheduler = scheduler;
        this.listener = listener;
    }

    /** A CONNECT was accepted; an open (or just lost) connection with the same id was taken over. */
    void connected(final String clientId, final String username) {
        connections.compute(clientId, (id, previous) -> {
            final Connection connection = new Connection(username);
            final boolean takeover = previous != null && (previous.open || previous.lossPending);
            if (previous != null && !previous.lostNotified) {
                // the old connection's connection-lost notification (taken over, or after its DISCONNECT) is still
                // to come: it must not end this one
                connection.oldLossExpectedUntil = clock.getAsLong() + OLD_LOSS_WINDOW_NANOS;
            }
            if (previous != null) {
                previous.open = false;
                previous.lossPending = false;
            }
            if (takeover) {
                listener.disconnected(clientId, previous.username, ReasonNames.SESSION_TAKEN_OVER);
            }
            return connection;
        });
    }

    /** The client sent DISCONNECT: reported at once; Moquette's loss notification for it follows and is not. */
    void disconnected(final String clientId, final String reportedUsername) {
        connections.computeIfPresent(clientId, (id, connection) -> {
            if (connection.open) {
                connection.open = false;
                listener.disconnected(clientId, name(reportedUsername, connection), ReasonNames.NORMAL);
            }
            return connection;
        });
    }

    /** Moquette says the connection is gone (after a DISCONNECT, a dropped socket, or a takeover). */
    void lost(final String clientId, final String reportedUsername) {
        connections.computeIfPresent(clientId, (id, connection) -> {
            if (connection.oldLossExpectedUntil != 0) {
                final boolean old = clock.getAsLong() - connection.oldLossExpectedUntil < 0;
                connection.oldLossExpectedUntil = 0;
                if (old) {
                    return connection; // the previous connection's, reported already (takeover or DISCONNECT)
                }
            }
            connection.lostNotified = true;
            if (!connection.open) {
                return null; // after a clean DISCONNECT: reported already
            }
            connection.open = false;
            connection.lossPending = true;
            final String username = name(reportedUsername, connection);
            scheduler.later(() -> confirmLoss(clientId, connection, username));
            return connection;
        });
    }

    /** Reports a loss that no CONNECT with the same id claimed as a takeover meanwhile. */
    private void confirmLoss(final String clientId, final Connection connection, final String username) {
        connections.computeIfPresent(clientId, (id, current) -> {
            if (current == connection && connection.lossPending) {
                connection.lossPending = false;
                listener.disconnected(clientId, username, ReasonNames.CONNECTION_LOST);
                return null;
            }
            return current;
        });
    }

    /** Connections the tracker still holds (open, or lost and waiting for confirmation). */
    int size() {
        return connections.size();
    }

    private static String name(final String reported, final Connection connection) {
        return reported != null ? reported : connection.username;
    }

    /** One connection; changed only inside the map's compute. */
    private static final class Connection {
        private final String username;
        private boolean open = true;
        /** After a takeover: a connection-lost notification before this instant is the old connection's. */
        private long oldLossExpectedUntil;
        /** Lost, waiting for a CONNECT that would make it a takeover. */
        private boolean lossPending;
        /** Moquette's connection-lost notification for this connection has arrived. */
        private boolean lostNotified;

        Connection(final String username) {
            this.username = username;
        }
    }
}
