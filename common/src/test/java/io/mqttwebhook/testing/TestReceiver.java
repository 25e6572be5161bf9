package io.mqttwebhook.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real webhook endpoint for tests: the JDK's HTTP(S) server on 127.0.0.1, recording every request and
 * answering as the test says (status, delay, Retry-After, never). Counts the largest number of requests
 * it was handling at once.
 */
public final class TestReceiver implements AutoCloseable {

    /** One received request. */
    public static final class Request {
        public final String method;
        public final String target;
        public final Map<String, String> headers;
        public final byte[] body;
        public final long receivedMillis;

        Request(final String method, final String target, final Map<String, String> headers, final byte[] body) {
            this.method = method;
            this.target = target;
            this.headers = headers;
            this.body = body;
            this.receivedMillis = System.currentTimeMillis();
        }

        public String body() {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** Header value by case-insensitive name, or null. */
        public String header(final String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        @Override
        public String toString() {
            return method + " " + target + " " + body();
        }
    }

    /** What to answer: status, optional delay and headers. */
    public static final class Reply {
        final int status;
        final long delayMillis;
        final String retryAfter;

        private Reply(final int status, final long delayMillis, final String retryAfter) {
            this.status = status;
            this.delayMillis = delayMillis;
            this.retryAfter = retryAfter;
        }

        public static Reply status(final int status) {
            return new Reply(status, 0, null);
        }

        public static Reply slow(final int status, final long delayMillis) {
            return new Reply(status, delayMillis, null);
        }

        /** Never answers (until the receiver closes). */
        public static Reply hang() {
            return new Reply(200, Long.MAX_VALUE, null);
        }

        public static Reply retryAfter(final int status, final String retryAfter) {
            return new Reply(status, 0, retryAfter);
        }

        /** Reads the request, then closes the connection without answering. */
        public static Reply abort() {
            return new Reply(-1, 0, null);
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        final Thread t = new Thread(r, "test-receiver");
        t.setDaemon(true);
        return t;
    });
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger current = new AtomicInteger();
    private final AtomicInteger maxConcurrent = new AtomicInteger();
    private volatile Function<Request, Reply> replies = r -> Reply.status(200);
    /** Down: every connection is closed without an answer (and nothing is recorded), on the same port. */
    private volatile boolean down;

    private TestReceiver(final HttpServer server) {
        this.server = server;
        server.createContext("/", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** Plain HTTP on 127.0.0.1 with a free port. */
    public static TestReceiver start() throws IOException {
        return start(0);
    }

    /** Plain HTTP on 127.0.0.1:{@code port}. */
    public static TestReceiver start(final int port) throws IOException {
        return new TestReceiver(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0));
    }

    /**
     * An endpoint that is down from the start, on a port of its own (bound to port 0, so no other process can
     * take it between the test's start and the endpoint's recovery): it closes every connection without an
     * answer until {@link #up()}.
     */
    public static TestReceiver startDown() throws IOException {
        final TestReceiver receiver = start();
        receiver.down = true;
        return receiver;
    }

    /** From now on the endpoint answers (as {@link #replyWith} says). */
    public void up() {
        down = false;
    }

    /** From now on every connection is closed without an answer: for the plugin, the endpoint is down. */
    public void down() {
        down = true;
    }

    /** HTTPS on 127.0.0.1; with {@code needClientAuth}, the client must present a certificate. */
    public static TestReceiver startTls(final SSLContext context, final boolean needClientAuth) throws IOException {
        final HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(final HttpsParameters params) {
                final SSLParameters parameters = context.getDefaultSSLParameters();
                parameters.setNeedClientAuth(needClientAuth);
                params.setSSLParameters(parameters);
            }
        });
        return new TestReceiver(server);
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** {@code http://127.0.0.1:<port><path>} (https for a TLS receiver). */
    public String url(final String path) {
        return (server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:" + port() + path;
    }

    public void replyWith(final Function<Request, Reply> replies) {
        this.replies = replies;
    }

    public List<Request> requests() {
        return new ArrayList<>(requests);
    }

    public int count() {
        return requests.size();
    }

    /** Bodies received so far that name this client id (as clientid or from_client_id), in arrival order. */
    public List<String> bodiesOf(final String clientId) {
        final List<String> bodies = new ArrayList<>();
        for (final Request request : requests) {
            final String body = request.body();
            if (body.contains("\"clientid\":\"" + clientId + "\"") || body.contains("\"from_client_id\":\"" + clientId + "\"")) {
                bodies.add(body);
            }
        }
        return bodies;
    }

    /** Waits up to 10 s until at least {@code count} bodies name this client id; returns them all. */
    public List<String> awaitBodies(final String clientId, final int count) {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> bodiesOf(clientId).size() >= count);
        return bodiesOf(clientId);
    }

    public int maxConcurrent() {
        return maxConcurrent.get();
    }

    public void clear() {
        requests.clear();
        maxConcurrent.set(0);
    }

    private void handle(final HttpExchange exchange) throws IOException {
        if (down) {
            exchange.close();
            return;
        }
        final int now = current.incrementAndGet();
        maxConcurrent.accumulateAndGet(now, Math::max);
        boolean open = true;
        try (InputStream in = exchange.getRequestBody()) {
            final Map<String, String> headers = new TreeMap<>();
            exchange.getRequestHeaders().forEach((name, values) ->
                    headers.put(name.toLowerCase(Locale.ROOT), String.join(",", values)));
            final Request request = new Request(exchange.getRequestMethod(),
                    exchange.getRequestURI().toString(), headers, in.readAllBytes());
            requests.add(request);
            final Reply reply = replies.apply(request);
            if (reply.delayMillis > 0) {
                try {
                    Thread.sleep(reply.delayMillis);
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                    exchange.close();
                    return;
                }
            }
            if (reply.status < 0) {
                exchange.close();
                return;
            }
            if (reply.retryAfter != null) {
                exchange.getResponseHeaders().add("Retry-After", reply.retryAfter);
            }
            // the request ends here for the count: the client may send its next one as soon as it reads this
            current.decrementAndGet();
            open = false;
            exchange.sendResponseHeaders(reply.status, -1);
            try (OutputStream ignored = exchange.getResponseBody()) {
                // no body
            }
        } finally {
            if (open) {
                current.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
