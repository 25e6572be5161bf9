package io.mqttwebhook.metrics;

import io.mqttwebhook.event.EventType;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The webhook's counters, gauges and request latency, kept in the core with no tie to a broker's metric
 * system: adapters read {@link #snapshot()} (or the named suppliers) and publish them. Every event that is
 * matched ends in exactly one of: delivered, failed (by status class), dropped (by cause).
 */
public final class WebhookMetrics {

    /** Prefix of every metric name, as registered in a broker's registry. */
    public static final String PREFIX = "io.mqttwebhook.";

    /** Why an event was dropped. */
    public enum DropCause {
        QUEUE_FULL, RETRIES_EXHAUSTED, SHUTDOWN;

        public String metricName() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final Map<EventType, LongAdder> matched = new EnumMap<>(EventType.class);
    private final LongAdder requests = new LongAdder();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder retried = new LongAdder();
    private final LongAdder failed3xx = new LongAdder();
    private final LongAdder failed4xx = new LongAdder();
    private final LongAdder failedOther = new LongAdder();
    private final Map<DropCause, LongAdder> dropped = new EnumMap<>(DropCause.class);
    private final LongAdder latencyCount = new LongAdder();
    private final LongAdder latencyTotalMicros = new LongAdder();
    private final AtomicLong latencyMaxMicros = new AtomicLong();
    private volatile LongSupplier queued = () -> 0;
    private volatile LongSupplier inFlight = () -> 0;
    private volatile LongSupplier inDelivery = () -> 0;
    private volatile LongSupplier oldestQueuedAgeMillis = () -> 0;
    private final AtomicLong consecutiveFailures = new AtomicLong();
    private final AtomicLong failingSinceMillis = new AtomicLong();

    public WebhookMetrics() {
        for (final EventType type : EventType.values()) {
            matched.put(type, new LongAdder());
        }
        for (final DropCause cause : DropCause.values()) {
            dropped.put(cause, new LongAdder());
        }
    }

    /**
     * Connects the gauges to the live queue and sender: events waiting, HTTP requests open, and events
     * taken from the queue whose outcome is not known yet (in a request, or waiting for a retry).
     */
    public void bindGauges(final LongSupplier queuedEvents, final LongSupplier inFlightRequests,
                           final LongSupplier eventsInDelivery) {
        this.queued = queuedEvents;
        this.inFlight = inFlightRequests;
        this.inDelivery = eventsInDelivery;
    }

    public void matched(final EventType type) {
        matched.get(type).increment();
    }

    public void requestSent() {
        requests.increment();
    }

    public void delivered(final int events, final long latencyMicros) {
        delivered.add(events);
        latencyCount.increment();
        latencyTotalMicros.add(latencyMicros);
        latencyMaxMicros.accumulateAndGet(latencyMicros, Math::max);
    }

    public void retried() {
        retried.increment();
    }

    /**
     * Events not retried because the endpoint answered 3xx or 4xx (other than 408 and 429), or, with
     * status 0, because the request could not even be built (counted as "other").
     */
    public void failed(final int status, final int events) {
        if (status >= 300 && status < 400) {
            failed3xx.add(events);
        } else if (status >= 400 && status < 500) {
            failed4xx.add(events);
        } else {
            failedOther.add(events);
        }
    }

    public void dropped(final DropCause cause, final int events) {
        dropped.get(cause).add(events);
    }

    public long matchedCount(final EventType type) {
        return matched.get(type).sum();
    }

    public long matchedTotal() {
        long total = 0;
        for (final LongAdder adder : matched.values()) {
            total += adder.sum();
        }
        return total;
    }

    public long requestsSent() {
        return requests.sum();
    }

    public long deliveredCount() {
        return delivered.sum();
    }

    public long retriedCount() {
        return retried.sum();
    }

    public long failedCount() {
        return failed3xx.sum() + failed4xx.sum() + failedOther.sum();
    }

    /** Failed events of one class: {@code 3xx}, {@code 4xx} or {@code other}. */
    public long failedCount(final String statusClass) {
        switch (statusClass) {
            case "3xx":
                return failed3xx.sum();
            case "4xx":
                return failed4xx.sum();
            default:
                return failedOther.sum();
        }
    }

    public long droppedCount(final DropCause cause) {
        return dropped.get(cause).sum();
    }

    public long droppedTotal() {
        long total = 0;
        for (final LongAdder adder : dropped.values()) {
            total += adder.sum();
        }
        return total;
    }

    public long queued() {
        return queued.getAsLong();
    }

    public long inFlight() {
        return inFlight.getAsLong();
    }

    public long inDelivery() {
        return inDelivery.getAsLong();
    }

    /** Binds the age of the oldest queued event: how far behind delivery is. */
    public void bindOldestQueuedAge(final LongSupplier ageMillis) {
        this.oldestQueuedAgeMillis = ageMillis;
    }

    public long oldestQueuedAgeMillis() {
        return oldestQueuedAgeMillis.getAsLong();
    }

    /**
     * An attempt failed without a response the endpoint meant (connection error, timeout, 408, 429, 5xx).
     * Returns true for the first failure after success: the endpoint just went down.
     */
    public boolean attemptFailed() {
        failingSinceMillis.compareAndSet(0, System.currentTimeMillis());
        return consecutiveFailures.incrementAndGet() == 1;
    }

    /** An attempt got an answer (2xx, or a 3xx/4xx the endpoint meant). Returns the failures it ends. */
    public long attemptAnswered() {
        failingSinceMillis.set(0);
        return consecutiveFailures.getAndSet(0);
    }

    public long consecutiveFailures() {
        return consecutiveFailures.get();
    }

    /** Epoch ms of the first failure of the current run, or 0 when the endpoint is up. */
    public long failingSinceMillis() {
        return failingSinceMillis.get();
    }

    /**
     * Every metric by its name without {@link #PREFIX}, e.g. {@code matched.on_message_publish},
     * {@code dropped.queue_full}, {@code latency.mean_micros}. Counters are totals since start.
     */
    public Map<String, LongSupplier> suppliers() {
        final Map<String, LongSupplier> all = new LinkedHashMap<>();
        for (final Map.Entry<EventType, LongAdder> entry : matched.entrySet()) {
            all.put("matched." + entry.getKey().configName(), entry.getValue()::sum);
        }
        all.put("requests.sent", requests::sum);
        all.put("delivered", delivered::sum);
        all.put("retried", retried::sum);
        all.put("failed.3xx", failed3xx::sum);
        all.put("failed.4xx", failed4xx::sum);
        all.put("failed.other", failedOther::sum);
        for (final Map.Entry<DropCause, LongAdder> entry : dropped.entrySet()) {
            all.put("dropped." + entry.getKey().metricName(), entry.getValue()::sum);
        }
        all.put("queued", this::queued);
        all.put("in_flight", this::inFlight);
        all.put("in_delivery", this::inDelivery);
        all.put("queue.oldest_age_ms", this::oldestQueuedAgeMillis);
        all.put("endpoint.up", () -> consecutiveFailures.get() == 0 ? 1 : 0);
        all.put("endpoint.consecutive_failures", consecutiveFailures::get);
        all.put("endpoint.failing_since_ms", failingSinceMillis::get);
        all.put("latency.count", latencyCount::sum);
        all.put("latency.mean_micros", () -> {
            final long count = latencyCount.sum();
            return count == 0 ? 0 : latencyTotalMicros.sum() / count;
        });
        all.put("latency.max_micros", latencyMaxMicros::get);
        return all;
    }

    /** The current value of every metric of {@link #suppliers()}. */
    public Map<String, Long> snapshot() {
        final Map<String, Long> values = new LinkedHashMap<>();
        suppliers().forEach((name, supplier) -> values.put(name, supplier.getAsLong()));
        return values;
    }
}
