package io.mqttwebhook.metrics;

import io.mqttwebhook.metrics.WebhookMetrics.DropCause;

import java.util.Locale;
import java.util.Optional;

/**
 * Why an event was given up, as a dead letter says it: each cause belongs to exactly one of the endpoint's
 * give-up counters ({@code failed.4xx}, {@code dropped.queue_full}, ...), and {@code dead_letter.<cause>}
 * counts those of them written to the dead-letter files.
 */
public enum DeadLetterCause {
    /** The endpoint answered 3xx (redirects are not followed). */
    STATUS_3XX("failed.3xx"),
    /** The endpoint answered 4xx other than 408, 410 and 429. */
    STATUS_4XX("failed.4xx"),
    /** The request body could not be written. */
    SERIALIZATION_FAILED("failed.other"),
    QUEUE_FULL("dropped.queue_full"),
    RETRIES_EXHAUSTED("dropped.retries_exhausted"),
    SHUTDOWN("dropped.shutdown"),
    REMOVED("dropped.removed"),
    DISK_ERROR("dropped.disk_error");

    private final String counter;

    DeadLetterCause(final String counter) {
        this.counter = counter;
    }

    /** As written in a dead letter's {@code cause} and in the metric {@code dead_letter.<cause>}. */
    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The give-up counter these events are also counted in, {@code failed.4xx} or {@code dropped.<cause>}. */
    public String counter() {
        return counter;
    }

    /** The cause of a drop. */
    public static DeadLetterCause of(final DropCause cause) {
        return valueOf(cause.name());
    }

    /** The cause of a refusal with this status (3xx or 4xx); 0 means the body could not be written. */
    public static DeadLetterCause refused(final int status) {
        if (status >= 300 && status < 400) {
            return STATUS_3XX;
        }
        return status >= 400 && status < 500 ? STATUS_4XX : SERIALIZATION_FAILED;
    }

    /** The cause named {@code name} ({@code status_4xx}, case-insensitive). */
    public static Optional<DeadLetterCause> fromConfigName(final String name) {
        for (final DeadLetterCause cause : values()) {
            if (cause.configName().equalsIgnoreCase(name.trim())) {
                return Optional.of(cause);
            }
        }
        return Optional.empty();
    }
}
