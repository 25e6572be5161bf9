package io.mqttwebhook.delivery.http;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * How a connection's bytes cross its socket: as they are ({@link Plain}) or through TLS ({@link TlsTransport}).
 * The connection hands it plaintext to send and gets plaintext back; everything else (handshake, records,
 * close_notify) stays inside. Used by the I/O thread only.
 */
abstract class Transport {

    /**
     * Moves the handshake on with what the socket allows now; true once application data can flow. Plain
     * connections have none.
     */
    abstract boolean handshake(SocketChannel channel, ByteBuffer plaintextIn) throws IOException;

    /**
     * Reads what has arrived into {@code plaintextIn} (write mode): the plaintext bytes added, 0 when nothing
     * came, -1 at the end of the stream.
     */
    abstract int read(SocketChannel channel, ByteBuffer plaintextIn) throws IOException;

    /** Whether a {@link #read} right away could give more (the last one was cut short by a full buffer). */
    abstract boolean moreToRead();

    /** Sends what it can of {@code plaintextOut} (read mode); true when everything, TLS records included, is out. */
    abstract boolean write(SocketChannel channel, ByteBuffer plaintextOut) throws IOException;

    /** Bytes of its own wait for the socket (a handshake message, a TLS record): the connection wants OP_WRITE. */
    abstract boolean pendingOutput();

    /** Says goodbye where the protocol has a way to (TLS close_notify), best effort, never blocking. */
    void closing(final SocketChannel channel) {
    }

    /** Plain TCP. */
    static final class Plain extends Transport {
        private boolean filled;

        @Override
        boolean handshake(final SocketChannel channel, final ByteBuffer plaintextIn) {
            return true;
        }

        @Override
        int read(final SocketChannel channel, final ByteBuffer plaintextIn) throws IOException {
            final int n = channel.read(plaintextIn);
            filled = n > 0 && !plaintextIn.hasRemaining();
            return n;
        }

        @Override
        boolean moreToRead() {
            return filled;
        }

        @Override
        boolean write(final SocketChannel channel, final ByteBuffer plaintextOut) throws IOException {
            channel.write(plaintextOut);
            return !plaintextOut.hasRemaining();
        }

        @Override
        boolean pendingOutput() {
            return false;
        }
    }
}
