package io.mqttwebhook.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The webhook endpoint of the end-to-end runs, in its own JVM: answers 204 (after an optional delay),
 * counts requests and events, and records each event's delivery latency, receipt time minus the body's
 * {@code ts}, in a millisecond histogram. {@code GET /stats} answers {@code requests events p50 p99}
 * (latencies in ms); {@code GET /reset} clears. Usage: {@code Receiver <port> <delay-ms>}.
 */
public final class Receiver {

    private static final int MAX_MS = 120_000;

    private final long delayMillis;
    private final LongAdder requests = new LongAdder();
    private final LongAdder events = new LongAdder();
    private volatile AtomicLongArray latencies = new AtomicLongArray(MAX_MS + 1);

    private Receiver(final long delayMillis) {
        this.delayMillis = delayMillis;
    }

    public static void main(final String[] args) throws IOException {
        final int port = Integer.parseInt(args[0]);
        final Receiver receiver = new Receiver(Long.parseLong(args[1]));
        final HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1024);
        server.createContext("/", receiver::handle);
        server.setExecutor(Executors.newFixedThreadPool(Math.max(8, args.length > 2 ? Integer.parseInt(args[2]) : 64)));
        server.start();
        System.out.println("receiver listening on " + port);
    }

    private void handle(final HttpExchange exchange) throws IOException {
        final String path = exchange.getRequestURI().getPath();
        if (path.equals("/stats")) {
            respond(exchange, 200, requests.sum() + " " + events.sum() + " " + percentile(0.50) + " " + percentile(0.99));
            return;
        }
        if (path.equals("/reset")) {
            requests.reset();
            events.reset();
            latencies = new AtomicLongArray(MAX_MS + 1);
            respond(exchange, 200, "ok");
            return;
        }
        final byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readAllBytes();
        }
        final long now = System.currentTimeMillis();
        requests.increment();
        recordEvents(new String(body, StandardCharsets.UTF_8), now);
        if (delayMillis > 0) {
            try {
                Thread.sleep(delayMillis);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        exchange.sendResponseHeaders(204, -1);
        exchange.close();
    }

    private void recordEvents(final String body, final long now) {
        int from = 0;
        while (true) {
            final int action = body.indexOf("\"action\":", from);
            if (action < 0) {
                return;
            }
            events.increment();
            from = action + 9;
            final int ts = body.lastIndexOf("\"ts\":", action);
            final int start = body.lastIndexOf('{', action);
            if (ts > start && ts >= 0) {
                int end = ts + 5;
                while (end < body.length() && Character.isDigit(body.charAt(end))) {
                    end++;
                }
                final long latency = now - Long.parseLong(body.substring(ts + 5, end));
                latencies.incrementAndGet((int) Math.max(0, Math.min(MAX_MS, latency)));
            }
        }
    }

    private long percentile(final double p) {
        final AtomicLongArray histogram = latencies;
        long total = 0;
        for (int i = 0; i <= MAX_MS; i++) {
            total += histogram.get(i);
        }
        if (total == 0) {
            return -1;
        }
        final long rank = (long) Math.ceil(p * total);
        long seen = 0;
        for (int i = 0; i <= MAX_MS; i++) {
            seen += histogram.get(i);
            if (seen >= rank) {
                return i;
            }
        }
        return MAX_MS;
    }

    private static void respond(final HttpExchange exchange, final int status, final String text) throws IOException {
        final byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
