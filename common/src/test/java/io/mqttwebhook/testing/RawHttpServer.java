package io.mqttwebhook.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP server on 127.0.0.1 (port 0) that speaks HTTP/1.1 exactly as a test scripts it, byte for byte: each
 * connection runs the test's {@link Script} on a thread of its own, which reads requests one by one and
 * writes whatever answer (pipelined, chunked, interim 1xx, {@code Connection: close}, none) and closes when
 * it says. For the HTTP client's own behaviour, where a real server's choices would hide the case.
 */
public final class RawHttpServer implements AutoCloseable {

    /** What the server does on one connection. */
    public interface Script {
        void run(Conn conn) throws Exception;
    }

    /** One request as read. */
    public static final class Request {
        public final int connection;
        public final String method;
        public final String target;
        public final Map<String, String> headers;
        public final String body;
        /** More bytes had already arrived behind it when it was read: the client pipelined. */
        public final boolean followed;

        Request(final int connection, final String method, final String target, final Map<String, String> headers,
                final String body, final boolean followed) {
            this.connection = connection;
            this.method = method;
            this.target = target;
            this.headers = headers;
            this.body = body;
            this.followed = followed;
        }

        /** Header value by case-insensitive name, or null. */
        public String header(final String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        @Override
        public String toString() {
            return "#" + connection + " " + method + " " + target + " " + body;
        }
    }

    /** One accepted connection. */
    public final class Conn {
        public final int index;
        private final Socket socket;
        private final InputStream in;
        private final OutputStream out;

        Conn(final int index, final Socket socket) throws IOException {
            this.index = index;
            this.socket = socket;
            this.in = new BufferedInputStream(socket.getInputStream());
            this.out = socket.getOutputStream();
        }

        /** The next request on this connection, or null when the client closed it. */
        public Request read() throws IOException {
            String line = line();
            while (line != null && line.isEmpty()) {
                line = line();
            }
            if (line == null) {
                return null;
            }
            final String[] parts = line.split(" ");
            final Map<String, String> headers = new TreeMap<>();
            for (String header = line(); header != null && !header.isEmpty(); header = line()) {
                final int colon = header.indexOf(':');
                headers.put(header.substring(0, colon).trim().toLowerCase(Locale.ROOT), header.substring(colon + 1).trim());
            }
            final int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
            final byte[] body = in.readNBytes(length);
            final Request request = new Request(index, parts[0], parts[1], headers,
                    new String(body, StandardCharsets.UTF_8), in.available() > 0);
            requests.add(request);
            return request;
        }

        /** Reads {@code count} requests (they arrive pipelined when the client sends them so). */
        public List<Request> read(final int count) throws IOException {
            final List<Request> read = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                final Request request = read();
                if (request == null) {
                    break;
                }
                read.add(request);
            }
            return read;
        }

        /** Writes raw bytes (ISO-8859-1) and flushes. */
        public void write(final String raw) throws IOException {
            out.write(raw.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
        }

        /** Writes a complete response with {@code Retry-After: <marker>}, so a test can tell whose it is. */
        public void answer(final int status, final String marker) throws IOException {
            write("HTTP/1.1 " + status + " X\r\nRetry-After: " + marker + "\r\nContent-Length: 0\r\n\r\n");
        }

        /** Answers 200 to every request that arrives, each marked with its body, until the client closes. */
        public void answerAll() throws IOException {
            for (Request request = read(); request != null; request = read()) {
                answer(200, request.body);
            }
        }

        public void close() throws IOException {
            socket.close();
        }

        private String line() throws IOException {
            final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int c;
            while ((c = in.read()) >= 0) {
                if (c == '\n') {
                    final String s = bytes.toString(StandardCharsets.ISO_8859_1);
                    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
                }
                bytes.write(c);
            }
            return null;
        }
    }

    private final ServerSocket server;
    private final Script script;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final Thread acceptor;

    private RawHttpServer(final Script script) throws IOException {
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.script = script;
        this.acceptor = new Thread(this::accept, "raw-http-accept");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    public static RawHttpServer start(final Script script) throws IOException {
        return new RawHttpServer(script);
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                final Socket socket = server.accept();
                sockets.add(socket);
                final Conn conn = new Conn(accepted.getAndIncrement(), socket);
                final Thread thread = new Thread(() -> {
                    try {
                        script.run(conn);
                    } catch (final IOException closed) {
                        // the client or the test closed the connection
                    } catch (final Exception | Error e) {
                        errors.add(e);
                    } finally {
                        try {
                            socket.close();
                        } catch (final IOException ignored) {
                            // closed
                        }
                    }
                }, "raw-http-conn-" + conn.index);
                thread.setDaemon(true);
                thread.start();
            } catch (final IOException e) {
                return;
            }
        }
    }

    public int port() {
        return server.getLocalPort();
    }

    public String url(final String path) {
        return "http://127.0.0.1:" + port() + path;
    }

    /** Connections accepted so far. */
    public int connections() {
        return accepted.get();
    }

    /** Every request read so far, in the order read. */
    public List<Request> requests() {
        return new ArrayList<>(requests);
    }

    /** Failures of the scripts themselves (an assertion in a script). */
    public List<Throwable> errors() {
        return new ArrayList<>(errors);
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (final Socket socket : sockets) {
            socket.close();
        }
    }
}
