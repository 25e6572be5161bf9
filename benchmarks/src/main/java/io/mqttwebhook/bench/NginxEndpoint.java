package io.mqttwebhook.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The webhook endpoint of the end-to-end runs: nginx in its own process, answering 204 on keep-alive
 * connections (after 50 ms when slow). Its echo module (Debian's nginx-light loads it) reads each body so
 * that the log can hold receipt time, {@code webhook-id} and body; {@link #read} turns that log into
 * counts and delivery latencies.
 */
final class NginxEndpoint implements AutoCloseable {

    /** A body's "ts": key as nginx's JSON escaping writes it. */
    private static final String TS = "\\\"ts\\\":";
    private static final String ACTION = "\\\"action\\\":";
    static final String ECHO_MODULE = "/usr/lib/nginx/modules/ngx_http_echo_module.so";

    private final Path dir;
    private final Path log;
    private final int port;
    private Process process;

    NginxEndpoint(final Path dir, final int port, final boolean slow) throws IOException {
        if (!Files.exists(Paths.get(ECHO_MODULE))) {
            throw new IllegalStateException("nginx's echo module is missing (" + ECHO_MODULE
                    + "); on Debian: apt-get install nginx-light libnginx-mod-http-echo");
        }
        this.dir = Files.createDirectories(dir);
        this.log = dir.resolve("hooks.log");
        this.port = port;
        Files.createDirectories(dir.resolve("body"));
        Files.writeString(dir.resolve("nginx.conf"), "load_module " + ECHO_MODULE + ";\ndaemon off;\n"
                + "worker_processes 1;\npid " + dir.resolve("nginx.pid") + ";\nerror_log " + dir.resolve("error.log")
                + ";\nevents { worker_connections 4096; }\nhttp {\n  access_log off;\n"
                + "  client_body_temp_path " + dir.resolve("body") + ";\n"
                + "  client_body_buffer_size 4m;\n  client_max_body_size 64m;\n"
                + "  keepalive_requests 100000000;\n  keepalive_timeout 300s;\n"
                + "  log_format hook escape=json '$msec $http_webhook_id $request_body';\n"
                + "  server {\n    listen 127.0.0.1:" + port + " backlog=4096;\n"
                + "    location = /nginx_status { stub_status; }\n"
                + "    location / {\n      access_log " + log + " hook buffer=256k flush=200ms;\n"
                + "      echo_read_request_body;\n" + (slow ? "      echo_sleep 0.05;\n" : "")
                + "      echo_status 204;\n    }\n  }\n}\n");
    }

    NginxEndpoint start(final String nginx) throws IOException, InterruptedException {
        process = new ProcessBuilder(nginx, "-c", dir.resolve("nginx.conf").toString(), "-p", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("nginx.out").toFile()).start();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return this;
            } catch (final IOException notYet) {
                if (!process.isAlive()) {
                    throw new IOException("nginx did not start: " + Files.readString(dir.resolve("nginx.out"))
                            + Files.readString(dir.resolve("error.log")));
                }
                Thread.sleep(20);
            }
        }
        throw new IOException("nginx does not listen on " + port);
    }

    /** Requests nginx has handled so far, status queries included (a cheap progress sign). */
    long requestsHandled() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.getOutputStream().write(("GET /nginx_status HTTP/1.0\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            final InputStream in = socket.getInputStream();
            final String text = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            // "... server accepts handled requests\n 1 1 7 \n..."
            final String[] numbers = text.substring(text.indexOf("requests") + 8).trim().split("\\s+");
            return Long.parseLong(numbers[2]);
        }
    }

    boolean running() {
        return process != null && process.isAlive();
    }

    @Override
    public void close() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroy(); // SIGTERM: nginx stops at once, flushing its log buffer; a new start appends
            process.waitFor(10, TimeUnit.SECONDS);
        }
        process = null;
    }

    Path log() {
        return log;
    }

    /** What the log holds from byte {@code from} on: distinct events by webhook-id, and their latencies. */
    static Deliveries read(final Path log, final long from) throws IOException {
        final Deliveries result = new Deliveries();
        if (!Files.exists(log)) {
            return result;
        }
        try (FileChannel channel = FileChannel.open(log)) {
            // nginx writes whole lines, so the end of the file is the end of a line
            result.endOffset = channel.size();
        }
        final Set<String> ids = new HashSet<>();
        long[] latencies = new long[1024];
        int count = 0;
        final InputStream file = Files.newInputStream(log);
        file.skipNBytes(from);
        // streamed: a long run's log is larger than this JVM's heap
        try (java.io.BufferedReader reader = new java.io.BufferedReader(new java.io.InputStreamReader(
                new BoundedInput(file, result.endOffset - from), StandardCharsets.UTF_8), 1 << 16)) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                final int space = line.indexOf(' ');
                final int space2 = space < 0 ? -1 : line.indexOf(' ', space + 1);
                if (space2 < 0) {
                    continue;
                }
                result.requests++;
                if (!ids.add(line.substring(space + 1, space2))) {
                    result.duplicateRequests++;
                    continue;
                }
                final long received = Math.round(Double.parseDouble(line.substring(0, space)) * 1000);
                result.lastReceiptMillis = Math.max(result.lastReceiptMillis, received);
                // every body (or element of a batch) has an action; not every one has a ts (connack has none)
                for (int action = line.indexOf(ACTION, space2); action >= 0; action = line.indexOf(ACTION, action + 1)) {
                    result.events++;
                }
                int at = space2;
                while ((at = line.indexOf(TS, at)) >= 0) {
                    at += TS.length();
                    int end = at;
                    while (end < line.length() && Character.isDigit(line.charAt(end))) {
                        end++;
                    }
                    if (count == latencies.length) {
                        latencies = Arrays.copyOf(latencies, count * 2);
                    }
                    latencies[count++] = Math.max(0, received - Long.parseLong(line.substring(at, end)));
                }
            }
        }
        Arrays.sort(latencies, 0, count);
        result.p50 = count == 0 ? -1 : latencies[(int) Math.min(count - 1, Math.ceil(count * 0.50) - 1)];
        result.p99 = count == 0 ? -1 : latencies[(int) Math.min(count - 1, Math.ceil(count * 0.99) - 1)];
        return result;
    }

    /** At most {@code limit} bytes of a stream: the log up to where it ended when it was measured. */
    private static final class BoundedInput extends java.io.FilterInputStream {
        private long left;

        BoundedInput(final InputStream in, final long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            final int b = super.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(final byte[] buffer, final int offset, final int length) throws IOException {
            if (left <= 0) {
                return -1;
            }
            final int n = super.read(buffer, offset, (int) Math.min(length, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }

    /** Events received (each request counted once by its webhook-id) and their delivery latency in ms. */
    static final class Deliveries {
        long requests;
        long duplicateRequests;
        long events;
        long p50 = -1;
        long p99 = -1;
        long lastReceiptMillis;
        long endOffset;
    }
}
