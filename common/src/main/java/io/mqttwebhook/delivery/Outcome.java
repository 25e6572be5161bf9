package io.mqttwebhook.delivery;

import org.jspecify.annotations.Nullable;
/**
 * The outcome of one attempt, an HTTP status or the error that prevented one, and what it means for the
 * event and for the endpoint: see {@link Kind}.
 */
final class Outcome {

    /** What an outcome says. */
    enum Kind {
        /** 2xx: the endpoint accepted the events. */
        DELIVERED,
        /** 3xx (redirects are not followed) and 4xx other than 408, 410 and 429: refused, not retried. */
        REFUSED,
        /** 410 Gone: the endpoint asks not to be sent anything more (Standard Webhooks). */
        GONE,
        /** 429, or 503 with Retry-After: the endpoint asks to wait; the whole endpoint pauses. */
        THROTTLED,
        /** 408, 500 and other 5xx: the endpoint answered, this request failed; retried, attempts counted. */
        RETRY,
        /** No answer (connection error, I/O error, timeout) or 502/503/504: the endpoint may be down. */
        OUTAGE
    }

    final int status;
    final @Nullable String retryAfter;
    final @Nullable String error;
    final Kind kind;

    Outcome(final int status, final @Nullable String retryAfter, final @Nullable String error) {
        this.status = status;
        this.retryAfter = retryAfter;
        this.error = error;
        this.kind = classify(status, retryAfter);
    }

    static Outcome answered(final int status, final @Nullable String retryAfter) {
        return new Outcome(status, retryAfter, null);
    }

    static Outcome failed(final String error) {
        return new Outcome(0, null, error);
    }

    private static Kind classify(final int status, final @Nullable String retryAfter) {
        if (status == 0 || status == 502 || status == 504) {
            return Kind.OUTAGE;
        }
        if (status >= 200 && status < 300) {
            return Kind.DELIVERED;
        }
        if (status == 410) {
            return Kind.GONE;
        }
        if (status == 429 || (status == 503 && retryAfter != null && !retryAfter.isBlank())) {
            return Kind.THROTTLED;
        }
        if (status == 503) {
            return Kind.OUTAGE;
        }
        if (status == 408 || status >= 500) {
            return Kind.RETRY;
        }
        return Kind.REFUSED;
    }

    boolean delivered() {
        return kind == Kind.DELIVERED;
    }

    /** Whether the endpoint itself answered (anything but {@link Kind#OUTAGE}): it is up. */
    boolean answered() {
        return kind != Kind.OUTAGE;
    }

    @Override
    public String toString() {
        return status == 0 ? String.valueOf(error) : "HTTP " + status;
    }
}
