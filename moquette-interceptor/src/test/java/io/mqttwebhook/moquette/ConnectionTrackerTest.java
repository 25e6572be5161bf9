package io.mqttwebhook.moquette;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Moquette's notification sequences, driven by hand with a fake clock and a scheduler that runs the loss
 * confirmation when the test says: one disconnected event per connection, with the right reason.
 */
class ConnectionTrackerTest {

    private long now = 1_000_000_000L;
    private final List<Runnable> scheduled = new ArrayList<>();
    private final List<String> events = new ArrayList<>();
    private final ConnectionTracker tracker = new ConnectionTracker(() -> now, scheduled::add,
            (clientId, username, reason) -> events.add(clientId + "/" + username + "/" + reason));

    /** The confirmation delay passes. */
    private void confirmations() {
        now += ConnectionTracker.LOSS_CONFIRM_NANOS;
        final List<Runnable> due = new ArrayList<>(scheduled);
        scheduled.clear();
        due.forEach(Runnable::run);
    }

    @Test
    void aCleanDisconnectIsOneNormalEventAndItsLossNotificationIsNotReported() {
        tracker.connected("c", "alice");
        tracker.disconnected("c", "alice");
        tracker.lost("c", "alice");
        confirmations();
        assertThat(events).containsExactly("c/alice/normal");
        assertThat(tracker.size()).isZero();
    }

    @Test
    void aDroppedSocketIsReportedOnceTheConfirmationDelayHasPassed() {
        tracker.connected("c", null);
        tracker.lost("c", null);
        assertThat(events).isEmpty();
        confirmations();
        assertThat(events).containsExactly("c/null/connection_lost");
        assertThat(tracker.size()).isZero();
    }

    @Test
    void aTakeoverReportsTheOldConnectionOnceAndNotItsLateLossNotification() {
        tracker.connected("c", "first");
        tracker.connected("c", "second");
        now += 500_000_000L; // the old connection's loss arrives half a second later
        tracker.lost("c", "first");
        confirmations();
        assertThat(events).containsExactly("c/first/session_taken_over");
        tracker.disconnected("c", "second");
        assertThat(events).containsExactly("c/first/session_taken_over", "c/second/normal");
    }

    @Test
    void aLossNotifiedJustBeforeTheTakeoverIsTheTakeover() {
        tracker.connected("c", "first");
        tracker.lost("c", "first");            // Moquette tells the old connection's loss first...
        tracker.connected("c", "second");      // ...then the CONNECT that took it over
        confirmations();
        assertThat(events).containsExactly("c/first/session_taken_over");
    }

    @Test
    void aLossLongAfterATakeoverEndsTheNewConnection() {
        tracker.connected("c", "first");
        tracker.disconnected("c", "first");
        tracker.lost("c", "first");
        tracker.connected("c", "second");
        now += ConnectionTracker.OLD_LOSS_WINDOW_NANOS + 1;
        tracker.lost("c", "second");
        confirmations();
        assertThat(events).containsExactly("c/first/normal", "c/second/connection_lost");
    }

    @Test
    void notificationsForUnknownClientsAreIgnored() {
        tracker.disconnected("ghost", "x");
        tracker.lost("ghost", "x");
        confirmations();
        assertThat(events).isEmpty();
    }
}
