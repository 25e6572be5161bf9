package io.mqttwebhook.delivery.http;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.List;

/**
 * One keep-alive connection of an {@link Http1Client}: its socket, its requests in flight in the order they
 * were written (responses come back in that order, pipelined or not), the buffer requests are written into
 * and the parser of their responses. Used by the client's I/O thread only.
 */
final class Connection implements ResponseParser.Listener {

    private static final int BUFFER = 16 * 1024;
    /** Past this size an emptied request buffer is replaced by a normal one (a large batch went out). */
    private static final int KEEP_AT_MOST = 256 * 1024;
    private static final byte[] HTTP11 = ascii(" HTTP/1.1\r\n");
    private static final byte[] CONTENT_TYPE = ascii("Content-Type: ");
    private static final byte[] CONTENT_LENGTH = ascii("Content-Length: ");
    private static final byte[] CRLF = ascii("\r\n");

    enum State {
        CONNECTING, HANDSHAKING, OPEN, CLOSED
    }

    private final Http1Client client;
    final ArrayDeque<Exchange> inFlight = new ArrayDeque<>();
    private final ResponseParser parser = new ResponseParser();
    private @Nullable SocketChannel channel;
    private @Nullable SelectionKey key;
    private @Nullable Transport transport;
    private ByteBuffer in = ByteBuffer.allocate(0);
    /** Requests encoded and not yet written (write mode). */
    private ByteBuffer out = ByteBuffer.allocate(0);
    State state = State.CLOSED;
    /** Requests were added since the last write. */
    boolean dirty;
    long connectDeadline;
    /** The client's pass in which it last started connecting. */
    long connectPass = -1;
    /** After a failed connect, when it may try again while other connections carry the requests. */
    long retryAt;
    /** When it last had nothing in flight (System.nanoTime), for closing idle connections. */
    long idleSince;
    /** When the last response on it was complete (System.nanoTime). */
    private long lastResponseAt;
    /** It has carried responses: a failure on it now is not a failure to connect. */
    private boolean answered;
    /** Requests went out on it after it sat idle: a close from the server may have crossed them. */
    private boolean reusedAfterIdle;

    Connection(final Http1Client client) {
        this.client = client;
    }

    /** A field that is set from {@link #connect} until {@link #closeChannel}, read where the state says so. */
    private static <T> T live(final @Nullable T field) {
        if (field == null) {
            throw new IllegalStateException("the connection is closed");
        }
        return field;
    }

    boolean isOpen() {
        return state == State.OPEN;
    }

    boolean isConnecting() {
        return state == State.CONNECTING || state == State.HANDSHAKING;
    }

    /** Starts connecting (non-blocking); resolves the host name here, on the I/O thread, each time. */
    void connect(final Selector selector, final long now) {
        connectDeadline = now + client.connectTimeoutNanos;
        answered = false;
        reusedAfterIdle = false;
        try {
            final InetSocketAddress address = new InetSocketAddress(client.host, client.port);
            if (address.isUnresolved()) {
                throw new IOException("cannot resolve host " + client.host);
            }
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
            transport = client.newTransport();
            final int inSize = transport instanceof TlsTransport
                    ? Math.max(BUFFER, ((TlsTransport) transport).applicationBufferSize()) : BUFFER;
            // kept across reconnects: a server that closes after every answer must not churn direct memory
            if (in.capacity() < inSize) {
                in = ByteBuffer.allocateDirect(inSize);
            }
            in.clear();
            if (out.capacity() == 0) {
                out = ByteBuffer.allocateDirect(BUFFER);
            }
            out.clear();
            parser.reset();
            state = State.CONNECTING;
            if (channel.connect(address)) {
                key = channel.register(selector, SelectionKey.OP_READ, this);
                connected();
            } else {
                key = channel.register(selector, SelectionKey.OP_CONNECT, this);
            }
        } catch (final IOException | RuntimeException e) {
            connectFailed(e);
        }
    }

    /** The selector says the socket is ready for what this connection waits for. */
    void ready(final SelectionKey selected) {
        if (!selected.isValid()) {
            return;
        }
        try {
            if (state == State.CONNECTING) {
                if (selected.isConnectable()) {
                    live(channel).finishConnect();
                    live(key).interestOps(SelectionKey.OP_READ);
                    connected();
                }
                return;
            }
            if (state == State.HANDSHAKING) {
                handshake();
                return;
            }
            if (selected.isReadable()) {
                read();
            }
            if (state == State.OPEN && selected.isValid() && selected.isWritable()) {
                flush();
            }
        } catch (final IOException | RuntimeException e) {
            if (state == State.CONNECTING || state == State.HANDSHAKING) {
                connectFailed(e);
            } else {
                closedByServer(describe(e));
            }
        }
    }

    private void connected() throws IOException {
        state = State.HANDSHAKING;
        handshake();
    }

    private void handshake() throws IOException {
        if (live(transport).handshake(live(channel), in)) {
            state = State.OPEN;
            idleSince = System.nanoTime();
            interest();
            client.connected(this);
            if (in.position() > 0) {
                read(); // data that came with the end of the handshake
            }
        } else {
            interest();
        }
    }

    private void connectFailed(final Exception e) {
        final String reason = (state == State.HANDSHAKING ? "TLS handshake with " : "connect to ")
                + client.host + ":" + client.port + " failed: " + describe(e);
        closeChannel();
        retryAt = client.now() + Http1Client.RECONNECT_PAUSE_NANOS;
        client.connectFailed(this, reason);
    }

    /** Connecting (TCP and TLS) took longer than the connect timeout. */
    void connectTimedOut() {
        final String reason = (state == State.HANDSHAKING ? "TLS handshake with " : "connect to ")
                + client.host + ":" + client.port + " timed out";
        closeChannel();
        retryAt = client.now() + Http1Client.RECONNECT_PAUSE_NANOS;
        client.connectFailed(this, reason);
    }

    /** Whether a request of {@code size} bytes can be added now (a buffer that holds none grows to fit it). */
    boolean fits(final int size) {
        if (out.remaining() >= size) {
            return true;
        }
        if (out.position() == 0) {
            out = ByteBuffer.allocateDirect(Math.max(size, Math.min(KEEP_AT_MOST, out.capacity() * 2)));
            return true;
        }
        return false;
    }

    /** Upper bound of the bytes {@link #encode} writes for this exchange. */
    static int sizeOf(final Exchange exchange, final byte[] fixedHeaders) {
        int size = exchange.method.length() + exchange.target.length() * 3 + 64 + fixedHeaders.length
                + exchange.contentType.length() * 3 + exchange.body.length;
        final List<String[]> headers = exchange.headers;
        for (int i = 0; i < headers.size(); i++) {
            final String[] header = headers.get(i);
            size += header[0].length() + header[1].length() * 3 + 4;
        }
        return size;
    }

    /** Adds the request to the connection: it is written with the next flush. */
    void add(final Exchange exchange, final byte[] fixedHeaders, final long now) {
        if (inFlight.isEmpty() && answered && now - idleSince > Http1Client.STALE_AFTER_NANOS) {
            reusedAfterIdle = true;
        }
        encode(exchange, fixedHeaders);
        exchange.sentAt = now;
        inFlight.addLast(exchange);
        exchange.connection = this;
        dirty = true;
    }

    private void encode(final Exchange exchange, final byte[] fixedHeaders) {
        final ByteBuffer b = out;
        putText(b, exchange.method);
        b.put((byte) ' ');
        putText(b, exchange.target);
        b.put(HTTP11);
        b.put(fixedHeaders);
        final List<String[]> headers = exchange.headers;
        for (int i = 0; i < headers.size(); i++) {
            final String[] header = headers.get(i);
            if (framing(header[0])) {
                continue; // the body's framing is this client's to write
            }
            putText(b, header[0]);
            b.put((byte) ':');
            b.put((byte) ' ');
            putText(b, header[1]);
            b.put(CRLF);
        }
        b.put(CONTENT_TYPE);
        putText(b, exchange.contentType);
        b.put(CRLF);
        b.put(CONTENT_LENGTH);
        putInt(b, exchange.body.length);
        b.put(CRLF);
        b.put(CRLF);
        b.put(exchange.body);
    }

    private static boolean framing(final String name) {
        return (name.length() == 14 && name.equalsIgnoreCase("content-length"))
                || (name.length() == 17 && name.equalsIgnoreCase("transfer-encoding"))
                || (name.length() == 12 && name.equalsIgnoreCase("content-type"));
    }

    /** Writes what the buffer holds; what the socket does not take now goes when it says it can. */
    void flush() {
        dirty = false;
        try {
            out.flip();
            final boolean all;
            try {
                all = live(transport).write(live(channel), out);
            } finally {
                out.compact();
            }
            if (all && out.capacity() > KEEP_AT_MOST) {
                out = ByteBuffer.allocateDirect(BUFFER);
            }
            interest();
        } catch (final IOException | RuntimeException e) {
            closedByServer("write failed: " + describe(e));
        }
    }

    private void interest() {
        final int ops = out.position() > 0 || live(transport).pendingOutput()
                ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ;
        final SelectionKey selectionKey = live(key);
        if (selectionKey.interestOps() != ops) {
            selectionKey.interestOps(ops);
        }
    }

    private void read() throws IOException {
        for (int rounds = 0; rounds < 16; rounds++) {
            final int n = live(transport).read(live(channel), in);
            in.flip();
            if (n < 0) {
                parser.parse(in, this);
                if (state == State.OPEN) {
                    parser.endOfStream(this);
                }
                if (state == State.OPEN) {
                    closedByServer(inFlight.isEmpty() ? "closed by the server"
                            : "the server closed the connection without answering");
                }
                return;
            }
            parser.parse(in, this);
            if (state != State.OPEN) {
                return; // closed while parsing (Connection: close, protocol error)
            }
            in.compact();
            if (!live(transport).moreToRead()) {
                return;
            }
        }
    }

    @Override
    public void response(final int status, final @Nullable String retryAfter, final boolean close) {
        final Exchange exchange = inFlight.pollFirst();
        if (exchange == null) {
            protocolError("a response to no request");
            return;
        }
        exchange.connection = null;
        final long at = System.nanoTime();
        client.served(at - Math.max(exchange.sentAt, lastResponseAt));
        lastResponseAt = at;
        answered = true;
        reusedAfterIdle = false;
        if (inFlight.isEmpty()) {
            idleSince = client.now();
        }
        client.completed(exchange, status, retryAfter);
        if (close && state == State.OPEN) {
            // the server processes nothing more on this connection: what followed was never handled
            close("the server closed the connection (Connection: close)", true);
        } else if (state == State.OPEN) {
            client.available(this);
        }
    }

    @Override
    public void protocolError(final String what) {
        close("protocol error: " + what, false);
    }

    @Override
    public boolean accepting() {
        return state == State.OPEN;
    }

    /**
     * Closes the connection. Its requests in flight go back to the client's queue when the server cannot
     * have handled them ({@code unprocessed}: after a {@code Connection: close} answer; see also
     * {@link #closedByServer}), else each fails with {@code reason}: they may or may not have been handled, and
     * the caller decides about a retry.
     */
    void close(final String reason, final boolean unprocessed) {
        close(reason, unprocessed, false);
    }

    /**
     * The server ended the connection (end of stream, reset, a failed write): if requests went out on it after it
     * sat idle and no answer had begun, the server's close of the idle connection crossed them, and the first is
     * sent again. A close this client makes itself (a cancel, the idle sweep, a protocol error) never resends:
     * the server may have handled what was in flight.
     */
    private void closedByServer(final String reason) {
        close(reason, false, reusedAfterIdle && !parser.midResponse());
    }

    private void close(final String reason, final boolean unprocessed, final boolean staleReuse) {
        if (state == State.CLOSED) {
            return;
        }
        if (state == State.OPEN && transport != null && channel != null) {
            transport.closing(channel);
        }
        closeChannel();
        client.closed(this, reason, unprocessed, staleReuse);
    }

    private void closeChannel() {
        state = State.CLOSED;
        dirty = false;
        if (key != null) {
            key.cancel();
            key = null;
        }
        if (channel != null) {
            try {
                channel.close();
            } catch (final IOException ignored) {
                // closing anyway
            }
            channel = null;
        }
        if (out != null) {
            out.clear();
        }
    }

    private static String describe(final Throwable e) {
        final String name = e.getClass().getSimpleName();
        return e.getMessage() == null ? name : name + ": " + e.getMessage();
    }

    static byte[] ascii(final String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** Writes ASCII text as it is, and anything else as UTF-8 (header values from event fields may need it). */
    private static void putText(final ByteBuffer b, final String s) {
        for (int i = 0, n = s.length(); i < n; i++) {
            final char c = s.charAt(i);
            if (c < 0x80) {
                b.put((byte) c);
            } else {
                b.put(s.substring(i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                return;
            }
        }
    }

    private static void putInt(final ByteBuffer b, final int value) {
        if (value >= 10) {
            putInt(b, value / 10);
        }
        b.put((byte) ('0' + value % 10));
    }
}
