package io.mqttwebhook.delivery.http;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;

/**
 * An HTTP/1.1 client for one origin (scheme, host, port) on one I/O thread of its own: up to
 * {@code connections} keep-alive connections, opened as requests need them. While the endpoint answers within
 * {@value #FAST_MILLIS} ms on average, the requests that arrive together go out together, pipelined on one
 * connection (up to {@code depth} on it, one write for all); otherwise, and with {@code depth} 1, each takes a
 * connection of its own, so that a slow endpoint is served by as many connections as requests in flight.
 * <p>
 * Callers hand requests over through a lock-free queue. The I/O thread is woken only when it sleeps: while
 * traffic flows it looks for work every {@value #TICK_MICROS} µs instead, so that neither a caller nor a
 * response costs a wake-up. After a pass without work it sleeps until woken.
 * <p>
 * Every request gets exactly one outcome (see {@link Exchange}). A connection that fails fails its requests
 * in flight (the server may have handled them); requests behind a {@code Connection: close} answer, which
 * the server never handled, are sent again on another connection, and so is a request that met the
 * server's close of a connection that sat idle. When no connection can be opened, the waiting requests fail
 * at once with the reason. The connect timeout covers TCP and the TLS handshake.
 */
public final class Http1Client implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Http1Client.class);

    /** How often the I/O thread looks for work while traffic flows, instead of being woken for each request. */
    static final long TICK_MICROS = 250;
    private static final long TICK_NANOS = TimeUnit.MICROSECONDS.toNanos(TICK_MICROS);
    /** A connection idle this long is closed by this client: many servers close theirs after 5 s. */
    static final long IDLE_CLOSE_NANOS = TimeUnit.SECONDS.toNanos(4);
    /** A connection idle this long may have been closed by the server as a request goes out on it. */
    static final long STALE_AFTER_NANOS = TimeUnit.MILLISECONDS.toNanos(500);
    /** A connection that failed to open waits this long before it tries again while others are open. */
    static final long RECONNECT_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    /**
     * Requests are pipelined while the endpoint answers within this on average: behind a slow response the
     * others would wait, and a slow endpoint is better served by more connections.
     */
    static final long FAST_MILLIS = 2;
    static final long FAST_NANOS = TimeUnit.MILLISECONDS.toNanos(FAST_MILLIS);
    private static final long HOUSEKEEPING_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    final String host;
    final int port;
    final long connectTimeoutNanos;
    private final @Nullable SSLContext sslContext;
    private final boolean verify;
    private final int depth;
    /** Host and User-Agent, unless the requests carry their own. */
    private final byte[] fixedHeaders;
    private final Selector selector;
    private final Connection[] connections;
    private final ConcurrentLinkedQueue<Exchange> submitted = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Exchange> cancelled = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean sleeping = new AtomicBoolean();
    // I/O thread only
    private final ArrayDeque<Exchange> backlog = new ArrayDeque<>();
    private final Thread thread;
    private long now;
    /** Passes of the I/O loop so far. */
    private long pass;
    private boolean busy;
    /** Average time the endpoint takes per request (see {@link #served}); unknown (not fast) at first. */
    private volatile long serviceNanos = Long.MAX_VALUE;
    private long nextHousekeeping;
    private volatile boolean closed;
    private volatile boolean terminated;

    /**
     * Starts the client's I/O thread; connections open when requests need them.
     *
     * @param sslContext null for plain HTTP
     * @param verify     with TLS, whether the server's certificate must name {@code host}
     * @param userAgent  the {@code User-Agent} to send, or null for none
     * @param hostHeader whether to send {@code Host} (false: the requests carry their own)
     */
    public Http1Client(final String threadName, final String host, final int port,
                       final @Nullable SSLContext sslContext,
                       final boolean verify, final int connections, final int depth, final long connectTimeoutNanos,
                       final @Nullable String userAgent, final boolean hostHeader) throws IOException {
        if (connections < 1 || depth < 1) {
            throw new IllegalArgumentException("connections and depth must be > 0");
        }
        this.host = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        this.port = port;
        this.sslContext = sslContext;
        this.verify = verify;
        this.depth = depth;
        this.connectTimeoutNanos = connectTimeoutNanos;
        final boolean defaultPort = port == (sslContext == null ? 80 : 443);
        final String hostValue = (this.host.indexOf(':') >= 0 ? "[" + this.host + "]" : this.host)
                + (defaultPort ? "" : ":" + port);
        this.fixedHeaders = Connection.ascii((hostHeader ? "Host: " + hostValue + "\r\n" : "")
                + (userAgent == null ? "" : "User-Agent: " + userAgent + "\r\n"));
        this.selector = Selector.open();
        this.connections = new Connection[connections];
        for (int i = 0; i < connections; i++) {
            this.connections[i] = new Connection(this);
        }
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
        thread.start();
    }

    Transport newTransport() {
        return sslContext == null ? new Transport.Plain() : new TlsTransport(sslContext, host, port, verify);
    }

    long now() {
        return now;
    }

    // ------------------------------------------------------------------ callers

    /** Hands a request to the I/O thread; its outcome goes to its callbacks. */
    public void submit(final Exchange exchange) {
        exchange.client = this;
        submitted.offer(exchange);
        if (terminated) {
            failAll(submitted, "HTTP client closed");
        } else {
            wakeUp();
        }
    }

    void cancel(final Exchange exchange) {
        cancelled.offer(exchange);
        if (terminated) {
            reportCancels();
        } else {
            wakeUp();
        }
    }

    private void wakeUp() {
        if (sleeping.get() && sleeping.compareAndSet(true, false)) {
            selector.wakeup();
        }
    }

    /**
     * Closes every connection and stops the I/O thread; requests still open fail. From the I/O thread itself
     * (a callback) it takes effect when the callback returns.
     */
    @Override
    public void close() {
        closed = true;
        selector.wakeup();
        if (Thread.currentThread() != thread) {
            try {
                thread.join(TimeUnit.SECONDS.toMillis(5));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ I/O thread

    private void run() {
        try {
            while (!closed) {
                pass();
            }
        } catch (final IOException | RuntimeException | Error e) {
            LOG.error("mqtt-webhook: HTTP client I/O thread for {}:{} failed; its requests fail", host, port, e);
        } finally {
            terminate();
        }
    }

    private void pass() throws IOException {
        if (busy) {
            // traffic flows: look again after a tick instead of being woken for each request and response
            busy = false;
            LockSupport.parkNanos(TICK_NANOS);
            selector.selectNow(this::ready);
        } else {
            sleeping.set(true);
            if (submitted.isEmpty() && cancelled.isEmpty()) {
                selector.select(this::ready, sleepMillis());
            } else {
                selector.selectNow(this::ready);
            }
            sleeping.set(false);
        }
        now = System.nanoTime();
        pass++;
        Exchange exchange;
        while ((exchange = submitted.poll()) != null) {
            backlog.addLast(exchange);
            busy = true;
        }
        if (!cancelled.isEmpty()) {
            busy = true;
            processCancels();
        }
        dispatch();
        if (now - nextHousekeeping >= 0) {
            nextHousekeeping = now + HOUSEKEEPING_NANOS;
            housekeeping();
        }
    }

    /** How long to sleep when idle: until the next connect timeout or idle close to check, else until woken. */
    private long sleepMillis() {
        boolean connecting = false;
        boolean open = false;
        for (final Connection connection : connections) {
            connecting |= connection.isConnecting();
            open |= connection.isOpen();
        }
        if (connecting || !backlog.isEmpty()) {
            return TimeUnit.NANOSECONDS.toMillis(HOUSEKEEPING_NANOS);
        }
        return open ? TimeUnit.NANOSECONDS.toMillis(IDLE_CLOSE_NANOS) / 4 : 0;
    }

    private void ready(final SelectionKey key) {
        busy = true;
        ((Connection) key.attachment()).ready(key);
    }

    /**
     * Sends what waits. While the endpoint answers fast, the requests of one pass go together on one
     * connection, up to {@code depth} (one write for all of them), the least busy one first; otherwise, or
     * when pipelining is off, a request takes an idle connection. When none can take it, a new connection
     * opens while fewer than the maximum are open or opening, and the request waits for it.
     */
    private void dispatch() {
        final boolean pipelining = depth > 1 && serviceNanos <= FAST_NANOS;
        Connection packing = null;
        while (!backlog.isEmpty()) {
            Connection target = null;
            if (packing != null && packing.isOpen() && packing.inFlight.size() < depth) {
                target = packing;
            } else {
                Connection best = null;
                int opening = 0;
                Connection closed = null;
                Connection rested = null;
                for (final Connection connection : connections) {
                    if (connection.isOpen()) {
                        if (best == null || connection.inFlight.size() < best.inFlight.size()) {
                            best = connection;
                        }
                    } else if (connection.isConnecting()) {
                        opening++;
                    } else if (connection.connectPass != pass) { // at most one attempt per connection and pass
                        if (closed == null) {
                            closed = connection;
                        }
                        if (rested == null && now - connection.retryAt >= 0) {
                            rested = connection;
                        }
                    }
                }
                if (best != null && (best.inFlight.isEmpty() || (pipelining && best.inFlight.size() < depth))) {
                    target = best;
                } else {
                    // with a connection open, one that failed to connect waits a little before it tries again
                    final Connection unused = best == null ? closed : rested;
                    if (unused != null && opening < backlog.size()) {
                        unused.connectPass = pass;
                        unused.connect(selector, now);
                        continue;
                    }
                    break;
                }
            }
            if (!send(target, backlog.peekFirst())) {
                break;
            }
            packing = pipelining ? target : null;
        }
        for (final Connection connection : connections) {
            if (connection.dirty) {
                connection.flush();
            }
        }
    }

    /**
     * A response took {@code nanos} of the server's time, as seen from here: from when its request could start
     * (written, and the response before it on the connection complete) to its own end. The average decides
     * whether requests are pipelined.
     */
    void served(final long nanos) {
        serviceNanos = serviceNanos == Long.MAX_VALUE ? nanos : serviceNanos + (nanos - serviceNanos) / 8;
    }

    /** Puts the first waiting request on {@code connection}; false when its buffer is full for now. */
    private boolean send(final Connection connection, final Exchange exchange) {
        if (!connection.fits(Connection.sizeOf(exchange, fixedHeaders))) {
            connection.flush();
            if (!connection.isOpen() || !connection.fits(Connection.sizeOf(exchange, fixedHeaders))) {
                return false;
            }
        }
        backlog.pollFirst();
        if (!exchange.isOpen()) {
            return true; // cancelled meanwhile: its cancel reports it
        }
        connection.add(exchange, fixedHeaders, now);
        return true;
    }

    /** Connect timeouts and idle connections. */
    private void housekeeping() {
        for (final Connection connection : connections) {
            if (connection.isConnecting() && now - connection.connectDeadline > 0) {
                connection.connectTimedOut();
            } else if (connection.isOpen() && connection.inFlight.isEmpty()
                    && now - connection.idleSince > IDLE_CLOSE_NANOS) {
                connection.close("idle", false);
            }
        }
    }

    private void processCancels() {
        Exchange exchange;
        while ((exchange = cancelled.poll()) != null) {
            final Connection connection = exchange.connection;
            if (connection != null) {
                // HTTP/1.1 cannot take one request back: the connection goes, with what is pipelined on it
                connection.inFlight.remove(exchange);
                exchange.connection = null;
                connection.close("closed: a request on the same connection was cancelled after cancel_timeout",
                        false);
            } else {
                backlog.remove(exchange);
            }
            report(exchange);
        }
    }

    private void reportCancels() {
        Exchange exchange;
        while ((exchange = cancelled.poll()) != null) {
            report(exchange);
        }
    }

    private static void report(final Exchange exchange) {
        try {
            exchange.reportCancelled();
        } catch (final RuntimeException e) {
            LOG.error("mqtt-webhook: HTTP request callback failed", e);
        }
    }

    // ------------------------------------------------------------------ from connections

    void connected(final Connection connection) {
        busy = true;
    }

    void available(final Connection connection) {
        // dispatch() runs after every pass: nothing to do here but keep the thread looking
        busy = true;
    }

    void completed(final Exchange exchange, final int status, final @Nullable String retryAfter) {
        try {
            exchange.respond(status, retryAfter);
        } catch (final RuntimeException e) {
            LOG.error("mqtt-webhook: HTTP response callback failed", e);
        }
    }

    /** A connection could not be opened: when none is open or opening any more, what waits fails with why. */
    void connectFailed(final Connection connection, final String reason) {
        for (final Connection other : connections) {
            if (other.isOpen() || other.isConnecting()) {
                return;
            }
        }
        failAll(backlog, reason);
    }

    void closed(final Connection connection, final String reason, final boolean unprocessed, final boolean staleReuse) {
        busy = true;
        final ArrayDeque<Exchange> requests = connection.inFlight;
        if (unprocessed) {
            Exchange exchange;
            while ((exchange = requests.pollLast()) != null) {
                exchange.connection = null;
                backlog.addFirst(exchange);
            }
            return;
        }
        Exchange exchange;
        boolean first = true;
        while ((exchange = requests.pollFirst()) != null) {
            exchange.connection = null;
            if (first && staleReuse && !exchange.requeued) {
                // the server closed the idle connection as this request went out: it never saw it
                exchange.requeued = true;
                backlog.addFirst(exchange);
            } else {
                fail(exchange, reason);
            }
            first = false;
        }
    }

    private static void fail(final Exchange exchange, final String reason) {
        try {
            exchange.fail(reason);
        } catch (final RuntimeException e) {
            LOG.error("mqtt-webhook: HTTP request callback failed", e);
        }
    }

    private static void failAll(final java.util.Queue<Exchange> queue, final String reason) {
        Exchange exchange;
        while ((exchange = queue.poll()) != null) {
            fail(exchange, reason);
        }
    }

    /** The I/O thread ends: every connection closes, every request still open fails. */
    private void terminate() {
        terminated = true;
        for (final Connection connection : connections) {
            connection.close("HTTP client closed", false);
        }
        failAll(backlog, "HTTP client closed");
        failAll(submitted, "HTTP client closed");
        reportCancels();
        try {
            selector.close();
        } catch (final IOException e) {
            LOG.debug("mqtt-webhook: closing the selector failed", e);
        }
    }

    /** Whether requests are pipelined now (the endpoint answers fast and depth allows), for tests. */
    boolean pipelining() {
        return depth > 1 && serviceNanos <= FAST_NANOS;
    }

    /** Requests waiting for a connection, for tests. */
    int waiting() {
        return backlog.size();
    }

    /** An iterator over the connections, for tests. */
    Iterator<Connection> connections() {
        return java.util.Arrays.asList(connections).iterator();
    }
}
