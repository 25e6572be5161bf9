package io.mqttwebhook.delivery;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Delay before the next attempt: exponential from {@code initial}, capped at {@code max}, with jitter
 * (half fixed, half random) so that many failed events do not return at the same instant. A server's
 * {@code Retry-After} lengthens the delay, up to {@link #RETRY_AFTER_CAP}.
 */
final class Backoff {

    /** A Retry-After longer than this is not believed (a slot is held while waiting). */
    static final long RETRY_AFTER_CAP = Duration.ofMinutes(10).toMillis();

    private final long initialMillis;
    private final long maxMillis;

    Backoff(final Duration initial, final Duration max) {
        this.initialMillis = Math.max(1, initial.toMillis());
        this.maxMillis = Math.max(initialMillis, max.toMillis());
    }

    /** Delay after the {@code attempt}-th failed attempt (1 = the first). */
    long delayMillis(final int attempt, final @Nullable String retryAfter) {
        final int shift = Math.min(attempt - 1, 30);
        final long exponential = Math.min(maxMillis, initialMillis << shift);
        final long half = exponential / 2;
        final long jittered = half + ThreadLocalRandom.current().nextLong(exponential - half + 1);
        return Math.max(jittered, retryAfterMillis(retryAfter));
    }

    /** {@code Retry-After} as delay-seconds or an HTTP date; 0 when absent or unreadable. */
    static long retryAfterMillis(final @Nullable String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        final String trimmed = value.trim();
        long millis;
        try {
            millis = Long.parseLong(trimmed) * 1000;
        } catch (final NumberFormatException notSeconds) {
            try {
                millis = ZonedDateTime.parse(trimmed, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli()
                        - System.currentTimeMillis();
            } catch (final DateTimeParseException notDate) {
                return 0;
            }
        }
        return Math.max(0, Math.min(millis, RETRY_AFTER_CAP));
    }
}
