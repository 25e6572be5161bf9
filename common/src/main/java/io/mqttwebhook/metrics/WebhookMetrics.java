package io.mqttwebhook.metrics;

import com.codahale.metrics.Counting;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricFilter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Sampling;
import com.codahale.metrics.Snapshot;
import io.mqttwebhook.event.EventType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;

/**
 * Every metric of the webhook, in one Dropwizard {@link MetricRegistry} that adapters publish as the broker
 * expects (HiveMQ's registry, JMX, Prometheus): {@code io.mqttwebhook.matched.<event>} counts events that at
 * least one endpoint wanted, and each endpoint has its own {@link EndpointMetrics}. Kept across a restart of
 * the core in one JVM so that counts do not jump back. The totals here sum the endpoints: an event matched by
 * two endpoints is two copies, each delivered, failed or dropped once.
 */
public final class WebhookMetrics {

    /** Prefix of every metric name. */
    public static final String PREFIX = "io.mqttwebhook.";

    /** Why an event was dropped (given up without the endpoint accepting or refusing it). */
    public enum DropCause {
        /** The queue was full: {@code queue.overflow} dropped the oldest or the newest event. */
        QUEUE_FULL,
        /** The endpoint answered other requests but not this one within {@code retry.max_attempts}. */
        RETRIES_EXHAUSTED,
        /** Still in a memory queue when {@code shutdown.drain_timeout} ran out, or offered after the stop. */
        SHUTDOWN,
        /** The endpoint was removed by a reload and these could not be delivered within the drain timeout. */
        REMOVED,
        /** The disk queue could not store them (its file could not be written). */
        DISK_ERROR;

        public String metricName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final MetricRegistry registry = new MetricRegistry();
    /** By {@link EventType#ordinal()}. */
    private final Meter[] matched = new Meter[EventType.values().length];
    private final Map<String, EndpointMetrics> endpoints = new ConcurrentHashMap<>();
    private final Meter reloadsApplied = new Meter();
    private final Meter reloadsRejected = new Meter();

    public WebhookMetrics() {
        for (final EventType type : EventType.values()) {
            final Meter meter = new Meter();
            matched[type.ordinal()] = meter;
            registry.register(PREFIX + "matched." + type.configName(), meter);
        }
        registry.register(PREFIX + "reload.applied", reloadsApplied);
        registry.register(PREFIX + "reload.rejected", reloadsRejected);
    }

    /** A changed configuration file was applied while running. */
    public void reloadApplied() {
        reloadsApplied.mark();
    }

    /** A changed configuration file was not applied (invalid, or it would turn the webhook off). */
    public void reloadRejected() {
        reloadsRejected.mark();
    }

    public long reloadsApplied() {
        return reloadsApplied.getCount();
    }

    public long reloadsRejected() {
        return reloadsRejected.getCount();
    }

    /** The registry holding every metric; adapters copy it into the broker's or listen to it. */
    public MetricRegistry registry() {
        return registry;
    }

    /** The metrics of the endpoint {@code name}, registered on first use and kept while it exists. */
    public EndpointMetrics endpoint(final String name) {
        return endpoints.computeIfAbsent(name, n -> {
            final EndpointMetrics metrics = new EndpointMetrics(n);
            metrics.register(registry);
            return metrics;
        });
    }

    /** Unregisters a removed endpoint's metrics. */
    public void remove(final String name) {
        final EndpointMetrics removed = endpoints.remove(name);
        if (removed != null) {
            registry.removeMatching(MetricFilter.startsWith(removed.prefix()));
        }
    }

    /** Every endpoint's metrics. */
    public List<EndpointMetrics> endpoints() {
        return new ArrayList<>(endpoints.values());
    }

    /** An event that at least one endpoint wants (on a broker thread). */
    public void matched(final EventType type) {
        matched[type.ordinal()].mark();
    }

    /** Events of this type that at least one endpoint wanted. */
    public long matchedCount(final EventType type) {
        return matched[type.ordinal()].getCount();
    }

    /** Copies matched, summed over the endpoints (an event two endpoints want counts twice). */
    public long matchedTotal() {
        return sum(EndpointMetrics::matchedCount);
    }

    public long requestsSent() {
        return sum(EndpointMetrics::requestsSent);
    }

    public long deliveredCount() {
        return sum(EndpointMetrics::deliveredCount);
    }

    public long retriedCount() {
        return sum(EndpointMetrics::retriedCount);
    }

    public long recoveredCount() {
        return sum(EndpointMetrics::recoveredCount);
    }

    public long failedCount() {
        return sum(EndpointMetrics::failedCount);
    }

    public long failedCount(final String statusClass) {
        return sum(m -> m.failedCount(statusClass));
    }

    public long droppedCount(final DropCause cause) {
        return sum(m -> m.droppedCount(cause));
    }

    public long droppedTotal() {
        return sum(EndpointMetrics::droppedTotal);
    }

    public long queued() {
        return sum(EndpointMetrics::queued);
    }

    public long inFlight() {
        return sum(EndpointMetrics::inFlight);
    }

    public long inDelivery() {
        return sum(EndpointMetrics::inDelivery);
    }

    public long oldestQueuedAgeMillis() {
        return endpoints.values().stream().mapToLong(EndpointMetrics::oldestQueuedAgeMillis).max().orElse(0);
    }

    public long consecutiveFailures() {
        return endpoints.values().stream().mapToLong(EndpointMetrics::consecutiveFailures).max().orElse(0);
    }

    public long failingSinceMillis() {
        return endpoints.values().stream().mapToLong(EndpointMetrics::failingSinceMillis).filter(t -> t != 0)
                .min().orElse(0);
    }

    private long sum(final ToLongFunction<EndpointMetrics> value) {
        long total = 0;
        for (final EndpointMetrics metrics : endpoints.values()) {
            total += value.applyAsLong(metrics);
        }
        return total;
    }

    /**
     * Every metric as numbers, by name without {@link #PREFIX}: a counter's count, a gauge's value, and for a
     * timer its count and {@code .p50} / {@code .p99} in microseconds. For logs, JMX and tests.
     */
    public Map<String, Long> snapshot() {
        final Map<String, Long> values = new LinkedHashMap<>();
        for (final Map.Entry<String, Metric> entry : registry.getMetrics().entrySet()) {
            final String name = entry.getKey().substring(PREFIX.length());
            final Metric metric = entry.getValue();
            if (metric instanceof Gauge) {
                final Object value = ((Gauge<?>) metric).getValue();
                values.put(name, value instanceof Number ? ((Number) value).longValue() : 0L);
            } else if (metric instanceof Sampling && metric instanceof Counting) {
                final Snapshot snapshot = ((Sampling) metric).getSnapshot();
                values.put(name + ".count", ((Counting) metric).getCount());
                values.put(name + ".p50_us", TimeUnit.NANOSECONDS.toMicros((long) snapshot.getMedian()));
                values.put(name + ".p99_us", TimeUnit.NANOSECONDS.toMicros((long) snapshot.get99thPercentile()));
            } else if (metric instanceof Counting) {
                values.put(name, ((Counting) metric).getCount());
            }
        }
        return values;
    }
}
