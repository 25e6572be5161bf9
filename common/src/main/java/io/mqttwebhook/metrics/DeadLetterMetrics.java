package io.mqttwebhook.metrics;

import com.codahale.metrics.Gauge;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;

import java.util.function.LongSupplier;

/**
 * An endpoint's dead-letter metrics, {@code io.mqttwebhook.endpoint.<name>.dead_letter.*}: per cause the
 * events written ({@code dead_letter.<cause>}, next to the {@code failed.*} / {@code dropped.*} counter the
 * cause belongs to), those that could not be ({@code write_failed}: the file could not be written;
 * {@code missed}: the writer never got them, being 10 000 behind or stopped), dead letters not yet replayed
 * that were deleted with the oldest file when the folder went over {@code dead_letter.max_bytes}
 * ({@code rotated_out}), and the gauge {@code pending} (waiting for the writer). All zero while dead letters
 * are off. For each cause, {@code given up == dead_letter.<cause>} once pending is 0, unless write_failed or
 * missed say otherwise.
 */
public final class DeadLetterMetrics {

    /** By {@link DeadLetterCause#ordinal()}. */
    private final Meter[] written = new Meter[DeadLetterCause.values().length];
    private final Meter writeFailed = new Meter();
    private final Meter missed = new Meter();
    private final Meter rotatedOut = new Meter();
    private volatile LongSupplier pending = () -> 0;

    /** Counters of their own, registered nowhere until {@link #register} (an endpoint registers its own). */
    public DeadLetterMetrics() {
        for (final DeadLetterCause cause : DeadLetterCause.values()) {
            written[cause.ordinal()] = new Meter();
        }
    }

    void register(final MetricRegistry registry, final String prefix) {
        for (final DeadLetterCause cause : DeadLetterCause.values()) {
            registry.register(prefix + "dead_letter." + cause.configName(), written[cause.ordinal()]);
        }
        registry.register(prefix + "dead_letter.write_failed", writeFailed);
        registry.register(prefix + "dead_letter.missed", missed);
        registry.register(prefix + "dead_letter.rotated_out", rotatedOut);
        registry.register(prefix + "dead_letter.pending", (Gauge<Long>) () -> pending.getAsLong());
    }

    /** Connects the gauge of events waiting for the writer. */
    public void bind(final LongSupplier pendingEvents) {
        this.pending = pendingEvents;
    }

    public void written(final DeadLetterCause cause, final long events) {
        written[cause.ordinal()].mark(events);
    }

    public void writeFailed(final long events) {
        writeFailed.mark(events);
    }

    /** Events the writer never got: its hand-off was full, or it had stopped. */
    public void missed(final long events) {
        missed.mark(events);
    }

    public void rotatedOut(final long lines) {
        rotatedOut.mark(lines);
    }

    public long writtenCount(final DeadLetterCause cause) {
        return written[cause.ordinal()].getCount();
    }

    public long writtenTotal() {
        long total = 0;
        for (final Meter meter : written) {
            total += meter.getCount();
        }
        return total;
    }

    public long writeFailedCount() {
        return writeFailed.getCount();
    }

    public long missedCount() {
        return missed.getCount();
    }

    public long rotatedOutCount() {
        return rotatedOut.getCount();
    }

    public long pending() {
        return pending.getAsLong();
    }
}
