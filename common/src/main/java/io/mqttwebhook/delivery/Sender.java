package io.mqttwebhook.delivery;

import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Sends the requests of one endpoint configuration over a pool of connections to its endpoint. It transmits
 * what it is given ({@link Outgoing}: method, url, every header, body) and reports one {@link Outcome} per
 * request; it never retries, follows redirects or keeps cookies: {@link Delivery} decides what happens next.
 */
interface Sender extends AutoCloseable {

    /**
     * Starts one request; {@code done} runs exactly once, on one of the sender's threads, and must not block.
     * The future cancels the request (the cancel_timeout sweep); the callback then reports it.
     */
    Future<?> send(Outgoing request, Consumer<Outcome> done);

    /** Closes every connection and thread at once: every request has ended or been cancelled by then. */
    @Override
    void close();
}
