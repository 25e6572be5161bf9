package io.mqttwebhook.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An endpoint that accepts every connection, reads every request and never answers: the worst a receiver can do
 * to a webhook (each request holds a connection until {@code cancel_timeout}). For the isolation scenarios.
 */
final class HangingEndpoint implements AutoCloseable {

    private final ServerSocket server;
    private final List<Socket> connections = new CopyOnWriteArrayList<>();
    private final AtomicLong bytesRead = new AtomicLong();
    private final Thread acceptor;

    /** Listens on 127.0.0.1:{@code port} (0: any free port). */
    HangingEndpoint(final int port) throws IOException {
        server = new ServerSocket(port, 512, InetAddress.getLoopbackAddress());
        acceptor = new Thread(this::accept, "hanging-endpoint-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Connections accepted so far (the plugin opens up to pool_size at a time, new ones after each timeout). */
    int connections() {
        return connections.size();
    }

    long bytesRead() {
        return bytesRead.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                final Socket socket = server.accept();
                connections.add(socket);
                final Thread reader = new Thread(() -> drain(socket), "hanging-endpoint-read");
                reader.setDaemon(true);
                reader.start();
            } catch (final IOException closed) {
                return;
            }
        }
    }

    private void drain(final Socket socket) {
        final byte[] buffer = new byte[16384];
        try (InputStream in = socket.getInputStream()) {
            int n;
            while ((n = in.read(buffer)) >= 0) {
                bytesRead.addAndGet(n);
            }
        } catch (final IOException closed) {
            // the plugin gave up on the request, or close()
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (final Socket socket : connections) {
            socket.close();
        }
    }
}
