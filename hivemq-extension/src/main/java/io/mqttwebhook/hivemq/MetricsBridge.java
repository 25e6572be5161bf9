package io.mqttwebhook.hivemq;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.MetricRegistryListener;
import com.codahale.metrics.Timer;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps the webhook's metrics in HiveMQ's registry ({@code Services.metricRegistry()}), where HiveMQ's
 * Prometheus extension finds them: every metric of the core's registry, as the same Dropwizard object
 * (counters stay meters, latencies stay timers), including those of endpoints a reload adds, and none of
 * those it removes. {@link #close()} takes them all out again.
 */
final class MetricsBridge implements MetricRegistryListener, AutoCloseable {

    private final MetricRegistry core;
    private final MetricRegistry hivemq;
    private final Set<String> registered = ConcurrentHashMap.newKeySet();

    MetricsBridge(final MetricRegistry core, final MetricRegistry hivemq) {
        this.core = core;
        this.hivemq = hivemq;
        core.addListener(this); // replays every metric already there
    }

    private void add(final String name, final Metric metric) {
        hivemq.remove(name); // one left behind by an earlier start in this JVM
        hivemq.register(name, metric);
        registered.add(name);
    }

    private void remove(final String name) {
        if (registered.remove(name)) {
            hivemq.remove(name);
        }
    }

    @Override
    public void onGaugeAdded(final String name, final Gauge<?> gauge) {
        add(name, gauge);
    }

    @Override
    public void onGaugeRemoved(final String name) {
        remove(name);
    }

    @Override
    public void onCounterAdded(final String name, final Counter counter) {
        add(name, counter);
    }

    @Override
    public void onCounterRemoved(final String name) {
        remove(name);
    }

    @Override
    public void onHistogramAdded(final String name, final Histogram histogram) {
        add(name, histogram);
    }

    @Override
    public void onHistogramRemoved(final String name) {
        remove(name);
    }

    @Override
    public void onMeterAdded(final String name, final Meter meter) {
        add(name, meter);
    }

    @Override
    public void onMeterRemoved(final String name) {
        remove(name);
    }

    @Override
    public void onTimerAdded(final String name, final Timer timer) {
        add(name, timer);
    }

    @Override
    public void onTimerRemoved(final String name) {
        remove(name);
    }

    @Override
    public void close() {
        core.removeListener(this);
        registered.forEach(hivemq::remove);
        registered.clear();
    }
}
