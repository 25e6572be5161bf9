package io.mqttwebhook.delivery;

import io.mqttwebhook.config.EndpointConfig;
import org.jspecify.annotations.Nullable;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Posts one request and waits for the answer, exactly as an endpoint's delivery would send it (url, configured
 * headers, Content-Type, TLS, Standard Webhooks signing, cancel_timeout): what the replay command sends dead
 * letters again with, so that a receiver cannot tell a replay from a delivery but by its id.
 */
public final class Resender implements AutoCloseable {

    private final Route route;
    private final long timeoutMillis;

    public Resender(final EndpointConfig config) {
        this.route = new Route(config);
        this.timeoutMillis = config.cancelTimeout().toMillis();
    }

    /** The answer to one request. */
    public static final class Answer {
        /** The HTTP status, or 0 when there was none. */
        public final int status;
        /** The Retry-After header, or null. */
        public final @Nullable String retryAfter;
        /** Why there was no answer, or null. */
        public final @Nullable String error;

        Answer(final Outcome outcome) {
            this.status = outcome.status;
            this.retryAfter = outcome.retryAfter;
            this.error = outcome.error;
        }

        public boolean delivered() {
            return status >= 200 && status < 300;
        }

        /** Milliseconds the endpoint asked to wait (429, or 503 with Retry-After), or 0. */
        public long retryAfterMillis() {
            return status == 429 || status == 503 ? Backoff.retryAfterMillis(retryAfter) : 0;
        }

        @Override
        public String toString() {
            return status == 0 ? String.valueOf(error) : "HTTP " + status;
        }
    }

    /**
     * Sends {@code body} with {@code webhookId}, {@code method} (null: the configured one), {@code path} appended
     * to the url (or null) and the {@code templated} headers besides the configured ones; returns when answered,
     * failed, or cancel_timeout passed.
     */
    public Answer post(final String webhookId, final @Nullable String method, final @Nullable String path,
                       final List<String[]> templated, final byte[] body) throws InterruptedException {
        final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        final Outgoing request = route.outgoing(webhookId, method == null ? route.config.request().method() : method,
                path, templated, body);
        final Future<?> sent = route.sender.send(request, outcome::complete);
        try {
            return new Answer(outcome.get(timeoutMillis + 1000, TimeUnit.MILLISECONDS));
        } catch (final TimeoutException e) {
            sent.cancel(true);
            return new Answer(Outcome.failed("cancelled after cancel_timeout"));
        } catch (final ExecutionException e) {
            return new Answer(Outcome.failed(String.valueOf(e.getCause())));
        }
    }

    @Override
    public void close() {
        route.close();
    }
}
