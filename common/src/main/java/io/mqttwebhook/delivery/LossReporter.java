package io.mqttwebhook.delivery;

import io.mqttwebhook.metrics.WebhookMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * Turns increases of the loss counters into warnings, at most one line per cause per run (the caller
 * runs it every 10 seconds on a plugin thread), with the count since the last line: a dead endpoint
 * under load must not write one line per event, and a broker thread never logs.
 */
final class LossReporter implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(LossReporter.class);

    private final WebhookMetrics metrics;
    private final String hints;
    private final Map<String, Long> reported = new HashMap<>();

    LossReporter(final WebhookMetrics metrics, final String hints) {
        this.metrics = metrics;
        this.hints = hints;
    }

    @Override
    public synchronized void run() {
        for (final Map.Entry<String, Long> entry : metrics.snapshot().entrySet()) {
            final String name = entry.getKey();
            if (!name.startsWith("dropped.") && !name.startsWith("failed.")) {
                continue;
            }
            final long now = entry.getValue();
            final long before = reported.getOrDefault(name, 0L);
            if (now > before) {
                reported.put(name, now);
                if (name.startsWith("dropped.")) {
                    LOG.warn("mqtt-webhook dropped {} event(s) since the last report, cause={} (total {}; {})",
                            now - before, name.substring("dropped.".length()), now, hints);
                } else {
                    LOG.warn("mqtt-webhook: the endpoint refused {} event(s) with status {} since the last report;"
                            + " not retried (total {})", now - before, name.substring("failed.".length()), now);
                }
            }
        }
    }
}
