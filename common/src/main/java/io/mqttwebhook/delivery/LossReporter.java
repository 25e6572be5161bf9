package io.mqttwebhook.delivery;

import io.mqttwebhook.metrics.EndpointMetrics;
import io.mqttwebhook.metrics.WebhookMetrics.DropCause;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * Turns increases of an endpoint's loss counters into warnings, at most one line per cause per run (the
 * caller runs it every 10 seconds on a plugin thread), with the count since the last line: a dead endpoint
 * under load must not write one line per event, and a broker thread never logs.
 */
final class LossReporter implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(LossReporter.class);
    private static final String[] FAILED = {"3xx", "4xx", "other"};

    private final EndpointMetrics metrics;
    private final String hints;
    private final Map<String, Long> reported = new HashMap<>();

    LossReporter(final EndpointMetrics metrics, final String hints) {
        this.metrics = metrics;
        this.hints = hints;
    }

    @Override
    public synchronized void run() {
        for (final DropCause cause : DropCause.values()) {
            final long now = metrics.droppedCount(cause);
            final long before = advance("dropped." + cause.metricName(), now);
            if (now > before) {
                LOG.warn("mqtt-webhook dropped {} event(s) since the last report, cause={} (total {}; {})",
                        now - before, cause.metricName(), now, hints);
            }
        }
        for (final String statusClass : FAILED) {
            final long now = metrics.failedCount(statusClass);
            final long before = advance("failed." + statusClass, now);
            if (now > before) {
                LOG.warn("mqtt-webhook: {} refused {} event(s) with status {} since the last report; not retried"
                        + " (total {})", hints, now - before, statusClass, now);
            }
        }
    }

    /** Records {@code now} for {@code counter}, returning the value of the last report. */
    private long advance(final String counter, final long now) {
        final Long before = reported.put(counter, now);
        return before == null ? 0 : before;
    }
}
