package io.mqttwebhook.config;

import java.util.Locale;
import java.util.Objects;

/**
 * An endpoint's {@code rate_limit}: at most {@link #perSecond()} events (or requests) per second, with bursts
 * of up to {@link #burst()} after a quiet time (a token bucket). For receivers that cannot take bursts: the
 * events wait in the endpoint's queue, never on a broker thread. Immutable.
 */
public final class RateLimit {

    /** What the rate counts. */
    public enum Unit {
        /** Events taken from the queue (a batch of 10 costs 10). */
        EVENTS,
        /** Requests (a batch costs 1; retries are not counted, they are bounded by pool_size). */
        REQUESTS
    }

    private final Unit unit;
    private final double perSecond;
    private final double burst;

    private RateLimit(final Unit unit, final double perSecond, final double burst) {
        if (!(perSecond > 0) || Double.isInfinite(perSecond)) {
            throw new IllegalArgumentException("rate_limit must be greater than 0, was " + perSecond);
        }
        if (!(burst >= 1) || Double.isInfinite(burst)) {
            throw new IllegalArgumentException("rate_limit.burst must be at least 1, was " + burst);
        }
        this.unit = Objects.requireNonNull(unit, "unit");
        this.perSecond = perSecond;
        this.burst = burst;
    }

    /** {@code perSecond} of {@code unit} with the default burst, a tenth of a second's worth (at least 1). */
    public static RateLimit of(final Unit unit, final double perSecond) {
        return new RateLimit(unit, perSecond, defaultBurst(perSecond));
    }

    public static RateLimit of(final Unit unit, final double perSecond, final double burst) {
        return new RateLimit(unit, perSecond, burst);
    }

    /**
     * A tenth of a second's worth, at least 1: close to "no more than the rate in any second" (at most
     * rate + burst in any one second) while a quiet receiver still gets the first events at once.
     */
    public static double defaultBurst(final double perSecond) {
        return Math.max(1, Math.floor(perSecond / 10));
    }

    public Unit unit() {
        return unit;
    }

    public double perSecond() {
        return perSecond;
    }

    public double burst() {
        return burst;
    }

    @Override
    public boolean equals(final Object o) {
        if (!(o instanceof RateLimit)) {
            return false;
        }
        final RateLimit other = (RateLimit) o;
        return unit == other.unit && perSecond == other.perSecond && burst == other.burst;
    }

    @Override
    public int hashCode() {
        return Objects.hash(unit, perSecond, burst);
    }

    @Override
    public String toString() {
        return number(perSecond) + " " + unit.name().toLowerCase(Locale.ROOT) + "/s, burst " + number(burst);
    }

    private static String number(final double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
