package io.mqttwebhook.hivemq;

import com.codahale.metrics.Counting;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Metric;
import com.hivemq.extension.sdk.api.services.Services;

/** The webhook's metrics as HiveMQ's registry holds them, read by name as a test would scrape them. */
final class HiveMqMetrics {

    private HiveMqMetrics() {
    }

    /** A counter's count or a gauge's value; fails when the registry has no such metric. */
    static long value(final String name) {
        final Metric metric = Services.metricRegistry().getMetrics().get(name);
        if (metric instanceof Counting) {
            return ((Counting) metric).getCount();
        }
        if (metric instanceof Gauge) {
            return ((Number) ((Gauge<?>) metric).getValue()).longValue();
        }
        throw new AssertionError("no metric " + name + " in HiveMQ's registry");
    }

    /** Every event an endpoint dropped, whatever the cause. */
    static long dropped(final String endpoint) {
        final String prefix = "io.mqttwebhook.endpoint." + endpoint + ".dropped.";
        return Services.metricRegistry().getMeters().entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .mapToLong(e -> e.getValue().getCount()).sum();
    }

    /** An endpoint's metric: {@code io.mqttwebhook.endpoint.<endpoint>.<metric>}. */
    static long endpoint(final String endpoint, final String metric) {
        return value("io.mqttwebhook.endpoint." + endpoint + "." + metric);
    }
}
