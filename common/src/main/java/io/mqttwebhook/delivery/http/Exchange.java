package io.mqttwebhook.delivery.http;
import org.jspecify.annotations.Nullable;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;

/**
 * One request to an {@link Http1Client} and its single outcome: a subclass says what happens with the response
 * ({@link #onResponse}) or with the error that prevented one ({@link #onFailure}); exactly one of them runs,
 * once, on the client's I/O thread (or on the caller's when the client is closed). As a {@link Future} it
 * cancels the request: one still waiting for a connection is taken back, one already on a connection closes
 * that connection (HTTP/1.1 cannot cancel one exchange), which fails the requests pipelined with it.
 */
public abstract class Exchange implements Future<Void> {

    private static final int OPEN = 0;
    private static final int DONE = 1;
    private static final int CANCELLED = 2;
    private static final AtomicIntegerFieldUpdater<Exchange> STATE =
            AtomicIntegerFieldUpdater.newUpdater(Exchange.class, "state");

    final String method;
    final String target;
    final List<String[]> headers;
    final String contentType;
    final byte[] body;
    private volatile int state;
    private volatile boolean awaited;
    /** The client it was submitted to: a cancel goes there. */
    @Nullable Http1Client client;
    /** The connection it was written to; I/O thread only. */
    @Nullable Connection connection;
    /** When it was put on its connection (System.nanoTime); I/O thread only. */
    long sentAt;
    /** Requeued once after its connection turned out to be closed by the server while idle. */
    boolean requeued;

    /**
     * @param method      request method
     * @param target      request target: path and query, as sent
     * @param headers     header name and value pairs in order ({@code Host}, {@code User-Agent} and the framing
     *                    headers are added unless given)
     * @param contentType the {@code Content-Type}
     * @param body        the body
     */
    protected Exchange(final String method, final String target, final List<String[]> headers,
                       final String contentType, final byte[] body) {
        this.method = method;
        this.target = target;
        this.headers = headers;
        this.contentType = contentType;
        this.body = body;
    }

    /** The response's status and {@code Retry-After} (or null). Must not block. */
    protected abstract void onResponse(int status, @Nullable String retryAfter);

    /** No response: why (connection refused, closed, timed out, cancelled...). Must not block. */
    protected abstract void onFailure(String error);

    /** Delivers a response unless this exchange has ended (cancelled meanwhile). */
    final void respond(final int status, final @Nullable String retryAfter) {
        if (STATE.compareAndSet(this, OPEN, DONE)) {
            try {
                onResponse(status, retryAfter);
            } finally {
                signal();
            }
        }
    }

    /** Delivers a failure unless this exchange has ended. */
    final void fail(final String error) {
        if (STATE.compareAndSet(this, OPEN, DONE)) {
            try {
                onFailure(error);
            } finally {
                signal();
            }
        }
    }

    /** The one callback of a cancelled exchange, by whoever took it from the cancel queue. */
    final void reportCancelled() {
        try {
            onFailure("cancelled after cancel_timeout");
        } finally {
            signal();
        }
    }

    @Override
    public final boolean cancel(final boolean mayInterruptIfRunning) {
        if (!STATE.compareAndSet(this, OPEN, CANCELLED)) {
            return false;
        }
        final Http1Client owner = client;
        if (owner != null) {
            owner.cancel(this);
        } else {
            reportCancelled();
        }
        return true;
    }

    @Override
    public final boolean isCancelled() {
        return state == CANCELLED;
    }

    @Override
    public final boolean isDone() {
        return state != OPEN;
    }

    /** Whether this exchange still waits for its outcome (not answered, failed or cancelled). */
    final boolean isOpen() {
        return state == OPEN;
    }

    private void signal() {
        if (awaited) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** Waits for the outcome; the outcome itself goes to the callbacks, so this returns null. */
    @Override
    public final Void get() throws InterruptedException, ExecutionException {
        try {
            return get(Long.MAX_VALUE, TimeUnit.NANOSECONDS);
        } catch (final TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public final Void get(final long timeout, final TimeUnit unit)
            throws InterruptedException, ExecutionException, TimeoutException {
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        awaited = true;
        synchronized (this) {
            while (state == OPEN) {
                final long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new TimeoutException();
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
        return null;
    }
}
