package io.mqttwebhook.metrics;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.LockFreeExponentiallyDecayingReservoir;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import io.mqttwebhook.metrics.WebhookMetrics.DropCause;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The metrics of one endpoint, registered as {@code io.mqttwebhook.endpoint.<name>.<metric>}: every copy of
 * an event the endpoint's rules matched ends in exactly one of delivered, failed (by status class) or dropped
 * (by cause), and while it has not ended it is queued or in delivery. Counts that only grow are
 * {@link Meter}s (Prometheus' Dropwizard bridge exports them as counters), levels are gauges, durations are
 * {@link Timer}s with percentiles.
 */
public final class EndpointMetrics {

    /** The {@code circuit.state} of an endpoint that answered 410 Gone. */
    private static final long GONE_STATE = 4;

    private final String name;
    private final String prefix;
    private final Meter matched = new Meter();
    private final Meter requests = new Meter();
    private final Meter delivered = new Meter();
    private final Meter retried = new Meter();
    private final Meter failed3xx = new Meter();
    private final Meter failed4xx = new Meter();
    private final Meter failedOther = new Meter();
    private final Meter recovered = new Meter();
    /** By {@link DropCause#ordinal()}. */
    private final Meter[] dropped = new Meter[DropCause.values().length];
    private final Timer requestDuration = new Timer(LockFreeExponentiallyDecayingReservoir.builder().build());
    private final Timer deliveryLatency = new Timer(LockFreeExponentiallyDecayingReservoir.builder().build());
    private volatile LongSupplier queued = () -> 0;
    private volatile LongSupplier inFlight = () -> 0;
    private volatile LongSupplier inDelivery = () -> 0;
    private volatile LongSupplier oldestQueuedAgeMillis = () -> 0;
    private volatile Health health = Health.NONE;
    private final DeadLetterMetrics deadLetters = new DeadLetterMetrics();

    /** What the endpoint's health tracker tells the metrics. */
    public interface Health {
        Health NONE = new Health() {
        };

        /** 0 closed (sending), 1 open (down, waiting for a probe), 2 probing, 3 paused by the endpoint, 4 gone. */
        default long circuitState() {
            return 0;
        }

        default long consecutiveFailures() {
            return 0;
        }

        /** Epoch ms of the first failure of the current run of failures, or 0. */
        default long failingSinceMillis() {
            return 0;
        }
    }

    EndpointMetrics(final String name) {
        this.name = name;
        this.prefix = WebhookMetrics.PREFIX + "endpoint." + name + ".";
        for (final DropCause cause : DropCause.values()) {
            dropped[cause.ordinal()] = new Meter();
        }
    }

    /** Registers every metric of this endpoint in {@code registry}. */
    void register(final MetricRegistry registry) {
        registry.register(prefix + "matched", matched);
        registry.register(prefix + "requests", requests);
        registry.register(prefix + "delivered", delivered);
        registry.register(prefix + "retried", retried);
        registry.register(prefix + "failed.3xx", failed3xx);
        registry.register(prefix + "failed.4xx", failed4xx);
        registry.register(prefix + "failed.other", failedOther);
        registry.register(prefix + "recovered", recovered);
        for (final DropCause cause : DropCause.values()) {
            registry.register(prefix + "dropped." + cause.metricName(), dropped[cause.ordinal()]);
        }
        registry.register(prefix + "request.duration", requestDuration);
        registry.register(prefix + "delivery.latency", deliveryLatency);
        registry.register(prefix + "queued", (Gauge<Long>) this::queued);
        registry.register(prefix + "in_flight", (Gauge<Long>) this::inFlight);
        registry.register(prefix + "in_delivery", (Gauge<Long>) this::inDelivery);
        registry.register(prefix + "queue.oldest_age_ms", (Gauge<Long>) this::oldestQueuedAgeMillis);
        // an endpoint that said 410 Gone is not up, though it answered
        registry.register(prefix + "up", (Gauge<Long>) () ->
                health.consecutiveFailures() == 0 && health.circuitState() != GONE_STATE ? 1L : 0L);
        registry.register(prefix + "circuit.state", (Gauge<Long>) () -> health.circuitState());
        registry.register(prefix + "consecutive_failures", (Gauge<Long>) () -> health.consecutiveFailures());
        registry.register(prefix + "failing_since_ms", (Gauge<Long>) () -> health.failingSinceMillis());
        deadLetters.register(registry, prefix);
    }

    /** The {@code dead_letter.*} metrics of this endpoint. */
    public DeadLetterMetrics deadLetters() {
        return deadLetters;
    }

    /** The prefix of this endpoint's metric names, {@code io.mqttwebhook.endpoint.<name>.}. */
    public String prefix() {
        return prefix;
    }

    public String name() {
        return name;
    }

    /** Connects the gauges of the live queue and delivery. */
    public void bind(final LongSupplier queuedEvents, final LongSupplier inFlightRequests,
                     final LongSupplier eventsInDelivery, final LongSupplier oldestAgeMillis, final Health endpointHealth) {
        this.queued = queuedEvents;
        this.inFlight = inFlightRequests;
        this.inDelivery = eventsInDelivery;
        this.oldestQueuedAgeMillis = oldestAgeMillis;
        this.health = endpointHealth;
    }

    /** One copy of an event offered to this endpoint (on a broker thread). */
    public void matched() {
        matched.mark();
    }

    public void requestSent() {
        requests.mark();
    }

    /**
     * Events accepted by the endpoint: {@code requestNanos} is the request's duration, {@code eventMillis}
     * when each event happened, for the delivery latency (happened to accepted).
     */
    public void delivered(final int events, final long requestNanos, final long oldestEventMillis, final long nowMillis) {
        delivered.mark(events);
        requestDuration.update(requestNanos, TimeUnit.NANOSECONDS);
        deliveryLatency.update(Math.max(0, nowMillis - oldestEventMillis), TimeUnit.MILLISECONDS);
    }

    public void retried() {
        retried.mark();
    }

    /** Events taken from disk at start: queued before the restart, delivered (or dropped) in this run. */
    public void recovered(final long events) {
        recovered.mark(events);
    }

    /**
     * Events not retried because the endpoint answered 3xx or 4xx, or, with status 0, because the request
     * could not even be built (counted as "other").
     */
    public void failed(final int status, final int events) {
        if (status >= 300 && status < 400) {
            failed3xx.mark(events);
        } else if (status >= 400 && status < 500) {
            failed4xx.mark(events);
        } else {
            failedOther.mark(events);
        }
    }

    public void dropped(final DropCause cause, final long events) {
        dropped[cause.ordinal()].mark(events);
    }

    public long matchedCount() {
        return matched.getCount();
    }

    public long requestsSent() {
        return requests.getCount();
    }

    public long deliveredCount() {
        return delivered.getCount();
    }

    public long retriedCount() {
        return retried.getCount();
    }

    public long recoveredCount() {
        return recovered.getCount();
    }

    public long failedCount() {
        return failed3xx.getCount() + failed4xx.getCount() + failedOther.getCount();
    }

    /** Failed events of one class: {@code 3xx}, {@code 4xx} or {@code other}. */
    public long failedCount(final String statusClass) {
        switch (statusClass) {
            case "3xx":
                return failed3xx.getCount();
            case "4xx":
                return failed4xx.getCount();
            default:
                return failedOther.getCount();
        }
    }

    public long droppedCount(final DropCause cause) {
        return dropped[cause.ordinal()].getCount();
    }

    public long droppedTotal() {
        long total = 0;
        for (final Meter meter : dropped) {
            total += meter.getCount();
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

    public long oldestQueuedAgeMillis() {
        return oldestQueuedAgeMillis.getAsLong();
    }

    public long consecutiveFailures() {
        return health.consecutiveFailures();
    }

    public long failingSinceMillis() {
        return health.failingSinceMillis();
    }

    public long circuitState() {
        return health.circuitState();
    }

    public Timer requestDuration() {
        return requestDuration;
    }

    public Timer deliveryLatency() {
        return deliveryLatency;
    }

    /**
     * The accounting of this endpoint as the stop line prints it; every give-up counter that is not zero
     * follows, with how many of its events were written as dead letters.
     */
    public String accounting() {
        final StringBuilder line = new StringBuilder("matched=").append(matchedCount()).append(" delivered=")
                .append(deliveredCount()).append(" failed=").append(failedCount()).append(" dropped=").append(droppedTotal());
        final StringBuilder causes = new StringBuilder();
        for (final DeadLetterCause cause : DeadLetterCause.values()) {
            final long given = givenUpCount(cause);
            if (given > 0) {
                causes.append(causes.length() == 0 ? "" : ", ").append(cause.counter()).append('=').append(given)
                        .append(" dead-lettered=").append(deadLetters.writtenCount(cause));
            }
        }
        if (causes.length() > 0) {
            line.append(" (").append(causes).append(')');
        }
        appendIfAny(line, "dead_letter.write_failed", deadLetters.writeFailedCount());
        appendIfAny(line, "dead_letter.missed", deadLetters.missedCount());
        appendIfAny(line, "dead_letter.rotated_out", deadLetters.rotatedOutCount());
        return line.toString();
    }

    private static void appendIfAny(final StringBuilder line, final String name, final long value) {
        if (value > 0) {
            line.append(' ').append(name).append('=').append(value);
        }
    }

    /** Events given up for this cause: the {@code failed.*} or {@code dropped.*} counter it belongs to. */
    public long givenUpCount(final DeadLetterCause cause) {
        switch (cause) {
            case STATUS_3XX:
                return failed3xx.getCount();
            case STATUS_4XX:
                return failed4xx.getCount();
            case SERIALIZATION_FAILED:
                return failedOther.getCount();
            default:
                return droppedCount(DropCause.valueOf(cause.name()));
        }
    }
}
