package io.mqttwebhook.delivery.http;

import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.List;

/**
 * TLS through an {@link SSLEngine}: the endpoint's {@link SSLContext} (its CA, its client certificate for
 * mutual TLS), SNI for a host name, and the server's name checked against its certificate unless
 * verification is off. Delegated tasks (certificate checks) run on the I/O thread: each endpoint has its
 * own, so a slow one delays no other endpoint.
 */
final class TlsTransport extends Transport {

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final SSLEngine engine;
    /** Records read from the socket, not yet unwrapped (write mode). */
    private ByteBuffer netIn;
    /** Records wrapped, not yet written to the socket (write mode). */
    private ByteBuffer netOut;
    private boolean moreToRead;
    private boolean begun;

    TlsTransport(final SSLContext context, final String host, final int port, final boolean verify) {
        this.engine = context.createSSLEngine(host, port);
        engine.setUseClientMode(true);
        final SSLParameters parameters = engine.getSSLParameters();
        if (verify) {
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
        }
        if (!isIpLiteral(host)) {
            parameters.setServerNames(List.of(new SNIHostName(host)));
        }
        parameters.setApplicationProtocols(new String[]{"http/1.1"});
        engine.setSSLParameters(parameters);
        final int packet = engine.getSession().getPacketBufferSize();
        // on the heap: a new transport comes with every connection, and heap buffers go with it
        this.netIn = ByteBuffer.allocate(packet);
        this.netOut = ByteBuffer.allocate(packet);
    }

    static boolean isIpLiteral(final String host) {
        if (host.indexOf(':') >= 0) {
            return true; // IPv6
        }
        for (int i = 0; i < host.length(); i++) {
            final char c = host.charAt(i);
            if (c != '.' && (c < '0' || c > '9')) {
                return false;
            }
        }
        return true;
    }

    /** The size plaintext buffers should have for one record. */
    int applicationBufferSize() {
        return engine.getSession().getApplicationBufferSize();
    }

    @Override
    boolean handshake(final SocketChannel channel, final ByteBuffer plaintextIn) throws IOException {
        if (!begun) {
            begun = true;
            engine.beginHandshake();
        }
        while (true) {
            switch (engine.getHandshakeStatus()) {
                case NEED_TASK:
                    runTasks();
                    break;
                case NEED_WRAP:
                    final SSLEngineResult wrapped = engine.wrap(EMPTY, netOut);
                    if (wrapped.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                        if (!flush(channel)) {
                            return false;
                        }
                        if (netOut.position() == 0) {
                            netOut = grow(netOut, engine.getSession().getPacketBufferSize());
                        }
                    } else if (wrapped.getStatus() == SSLEngineResult.Status.CLOSED) {
                        flush(channel);
                        throw new SSLException("the TLS handshake was closed");
                    }
                    break;
                case NEED_UNWRAP:
                case NEED_UNWRAP_AGAIN:
                    if (!flush(channel)) {
                        return false;
                    }
                    if (!unwrapHandshake(channel, plaintextIn)) {
                        return false;
                    }
                    break;
                default: // FINISHED, NOT_HANDSHAKING
                    return flush(channel);
            }
        }
    }

    /** One step of unwrapping handshake records; false when the socket has nothing more for now. */
    private boolean unwrapHandshake(final SocketChannel channel, final ByteBuffer plaintextIn) throws IOException {
        netIn.flip();
        SSLEngineResult result = engine.unwrap(netIn, plaintextIn);
        netIn.compact();
        if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW
                || (result.bytesConsumed() == 0 && result.bytesProduced() == 0
                && engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_UNWRAP)) {
            if (!netIn.hasRemaining()) {
                netIn = grow(netIn, engine.getSession().getPacketBufferSize());
            }
            final int n = channel.read(netIn);
            if (n < 0) {
                throw new EOFException("the server closed the connection during the TLS handshake");
            }
            if (n == 0) {
                return false;
            }
            netIn.flip();
            result = engine.unwrap(netIn, plaintextIn);
            netIn.compact();
        }
        if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
            throw new SSLException("the server closed the TLS session during the handshake");
        }
        return true;
    }

    @Override
    int read(final SocketChannel channel, final ByteBuffer plaintextIn) throws IOException {
        int n = 0;
        if (netIn.hasRemaining()) {
            n = channel.read(netIn);
        }
        final boolean socketFilled = n > 0 && !netIn.hasRemaining();
        final boolean eof = n < 0;
        int produced = 0;
        boolean overflow = false;
        boolean underflow = false;
        netIn.flip();
        try {
            while (netIn.hasRemaining()) {
                final SSLEngineResult result = engine.unwrap(netIn, plaintextIn);
                produced += result.bytesProduced();
                if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                    overflow = true;
                    break;
                }
                if (result.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
                    underflow = true;
                    break;
                }
                if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
                    return produced > 0 ? produced : -1;
                }
                if (engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
                    runTasks();
                }
                if (result.bytesConsumed() == 0 && result.bytesProduced() == 0) {
                    break;
                }
            }
        } finally {
            netIn.compact();
        }
        if (underflow && !netIn.hasRemaining()) {
            netIn = grow(netIn, engine.getSession().getPacketBufferSize()); // a record larger than the buffer
        }
        final SSLEngineResult.HandshakeStatus status = engine.getHandshakeStatus();
        if (status == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
            handshake(channel, plaintextIn); // a post-handshake message (key update) to answer
        }
        moreToRead = overflow || socketFilled;
        if (eof && produced == 0) {
            return -1;
        }
        return produced;
    }

    @Override
    boolean moreToRead() {
        return moreToRead;
    }

    @Override
    boolean write(final SocketChannel channel, final ByteBuffer plaintextOut) throws IOException {
        if (!flush(channel)) {
            return false;
        }
        while (plaintextOut.hasRemaining()) {
            final SSLEngineResult result = engine.wrap(plaintextOut, netOut);
            if (result.getStatus() == SSLEngineResult.Status.CLOSED) {
                throw new SSLException("the TLS session is closed");
            }
            if (result.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
                if (netOut.position() == 0) {
                    netOut = grow(netOut, engine.getSession().getPacketBufferSize());
                } else if (!flush(channel)) {
                    return false;
                }
            }
            if (engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_TASK) {
                runTasks();
            }
        }
        return flush(channel);
    }

    @Override
    boolean pendingOutput() {
        return netOut.position() > 0;
    }

    @Override
    void closing(final SocketChannel channel) {
        try {
            engine.closeOutbound();
            engine.wrap(EMPTY, netOut);
            flush(channel);
        } catch (final IOException | RuntimeException ignored) {
            // best effort: the socket closes anyway
        }
    }

    /** Writes what is wrapped; true when nothing is left. */
    private boolean flush(final SocketChannel channel) throws IOException {
        if (netOut.position() == 0) {
            return true;
        }
        netOut.flip();
        try {
            channel.write(netOut);
        } finally {
            netOut.compact();
        }
        return netOut.position() == 0;
    }

    private void runTasks() {
        Runnable task;
        while ((task = engine.getDelegatedTask()) != null) {
            task.run();
        }
    }

    /** A larger buffer (write mode) holding what {@code buffer} holds. */
    private static ByteBuffer grow(final ByteBuffer buffer, final int atLeast) {
        final ByteBuffer bigger = ByteBuffer.allocate(Math.max(atLeast, buffer.capacity()) + buffer.capacity());
        buffer.flip();
        bigger.put(buffer);
        return bigger;
    }
}
