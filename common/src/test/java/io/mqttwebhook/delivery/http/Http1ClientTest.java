package io.mqttwebhook.delivery.http;

import io.mqttwebhook.testing.RawHttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The plugin's HTTP/1.1 client against a server scripted byte for byte: pipelining and its order, the
 * spread over connections, {@code Connection: close} and closes with requests pipelined, chunked and
 * interim responses, cancellation, refused connections. Every request must get exactly one outcome.
 */
class Http1ClientTest {

    private final List<Http1Client> clients = new ArrayList<>();
    private final List<RawHttpServer> servers = new ArrayList<>();

    @AfterEach
    void closeAll() throws IOException {
        clients.forEach(Http1Client::close);
        for (final RawHttpServer server : servers) {
            server.close();
        }
    }

    /** A request whose body is its marker; records every outcome it gets. */
    static class Recorded extends Exchange {
        final String marker;
        final AtomicInteger outcomes = new AtomicInteger();
        volatile int status;
        volatile String retryAfter;
        volatile String error;

        Recorded(final String marker) {
            super("POST", "/hook?x=1", List.<String[]>of(new String[]{"webhook-id", "id-" + marker}), "application/json",
                    marker.getBytes(StandardCharsets.UTF_8));
            this.marker = marker;
        }

        @Override
        protected void onResponse(final int status, final String retryAfter) {
            this.status = status;
            this.retryAfter = retryAfter;
            outcomes.incrementAndGet();
        }

        @Override
        protected void onFailure(final String error) {
            this.error = error;
            outcomes.incrementAndGet();
        }

        boolean ended() {
            return outcomes.get() > 0;
        }
    }

    private RawHttpServer server(final RawHttpServer.Script script) throws IOException {
        final RawHttpServer server = RawHttpServer.start(script);
        servers.add(server);
        return server;
    }

    private Http1Client client(final int port, final int connections, final int depth) throws IOException {
        final Http1Client client = new Http1Client("mqtt-webhook-http-test", "127.0.0.1", port, null, true,
                connections, depth, TimeUnit.SECONDS.toNanos(5), "mqtt-webhook", true);
        clients.add(client);
        return client;
    }

    private static List<Recorded> submit(final Http1Client client, final int from, final int count) {
        final List<Recorded> sent = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            final Recorded exchange = new Recorded(Integer.toString(i));
            client.submit(exchange);
            sent.add(exchange);
        }
        return sent;
    }

    private static void awaitEnded(final List<Recorded> exchanges) {
        await().atMost(Duration.ofSeconds(10)).until(() -> exchanges.stream().allMatch(Recorded::ended));
    }

    /** After the client closed, no callback can come any more: each got exactly one. */
    private static void assertOneOutcomeEach(final Http1Client client, final List<Recorded> exchanges) {
        client.close();
        for (final Recorded exchange : exchanges) {
            assertThat(exchange.outcomes.get()).as("outcomes of request " + exchange.marker).isEqualTo(1);
        }
    }

    /**
     * Requests one at a time (bodies "L..."), answered at once, until the client has seen that the endpoint
     * answers fast and pipelines: on a busy machine the first answers can take longer than the threshold.
     */
    private static void learnItIsFast(final Http1Client client) {
        final AtomicInteger n = new AtomicInteger();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            final Recorded learning = new Recorded("L" + n.incrementAndGet());
            client.submit(learning);
            await().atMost(Duration.ofSeconds(5)).until(learning::ended);
            assertThat(learning.status).isEqualTo(200);
            return client.pipelining();
        });
    }

    /** The first request that is not one of {@link #learnItIsFast}'s, answering those. */
    private static RawHttpServer.Request pastLearning(final RawHttpServer.Conn conn) throws IOException {
        RawHttpServer.Request request = conn.read();
        while (request != null && request.body.startsWith("L")) {
            conn.answer(200, request.body);
            request = conn.read();
        }
        return request;
    }

    /** {@code count} requests after the learning ones. */
    private static List<RawHttpServer.Request> readPastLearning(final RawHttpServer.Conn conn, final int count)
            throws IOException {
        final List<RawHttpServer.Request> read = new ArrayList<>();
        read.add(pastLearning(conn));
        read.addAll(conn.read(count - 1));
        return read;
    }

    /** Lets the client's connections sit idle past {@link Http1Client#STALE_AFTER_NANOS}: time itself is the condition. */
    private static void sitIdlePastStale() {
        final long idleUntil = System.nanoTime() + Http1Client.STALE_AFTER_NANOS + TimeUnit.MILLISECONDS.toNanos(100);
        await().pollDelay(Duration.ofMillis(50)).atMost(Duration.ofSeconds(5))
                .until(() -> System.nanoTime() > idleUntil);
    }

    /** The first connection answers the learning requests, then reads four and never answers; others answer all. */
    private static final RawHttpServer.Script FOUR_UNANSWERED_ON_THE_FIRST_CONNECTION = conn -> {
        if (conn.index == 0) {
            readPastLearning(conn, 4);
            while (conn.read() != null) {
                // never answers; returns when the client closes the connection
            }
            return;
        }
        conn.answerAll();
    };

    /** What the server read, the learning requests left out. */
    private static List<RawHttpServer.Request> work(final RawHttpServer server) {
        return server.requests().stream().filter(r -> !r.body.startsWith("L")).collect(Collectors.toList());
    }

    @Test
    void pipelinedRequestsGetTheirOwnResponsesInOrder() throws Exception {
        final RawHttpServer server = server(conn -> {
            // all eight arrive before any answer: they were pipelined on this one connection
            for (final RawHttpServer.Request request : readPastLearning(conn, 8)) {
                conn.answer(200 + Integer.parseInt(request.body), request.body);
            }
            while (conn.read() != null) {
                // until the client closes
            }
        });
        final Http1Client client = client(server.port(), 1, 8);
        learnItIsFast(client);
        final List<Recorded> sent = submit(client, 0, 8);
        awaitEnded(sent);
        for (final Recorded exchange : sent) {
            assertThat(exchange.error).isNull();
            assertThat(exchange.retryAfter).isEqualTo(exchange.marker);
            assertThat(exchange.status).isEqualTo(200 + Integer.parseInt(exchange.marker));
        }
        assertThat(server.connections()).isEqualTo(1);
        assertThat(work(server)).extracting(r -> r.body).containsExactly("0", "1", "2", "3", "4", "5", "6", "7");
        final RawHttpServer.Request request = work(server).get(0);
        assertThat(request.target).isEqualTo("/hook?x=1");
        assertThat(request.header("host")).isEqualTo("127.0.0.1:" + server.port());
        assertThat(request.header("user-agent")).isEqualTo("mqtt-webhook");
        assertThat(request.header("content-type")).isEqualTo("application/json");
        assertThat(request.header("content-length")).isEqualTo("1");
        assertThat(request.header("webhook-id")).isEqualTo("id-0");
        assertOneOutcomeEach(client, sent);
    }

    @Test
    void whileTheEndpointIsFastTheRequestsOfOnePassShareOneConnectionAndOneWrite() throws Exception {
        final RawHttpServer server = server(conn -> {
            conn.answerAll();
        });
        final Http1Client client = client(server.port(), 4, 4);
        final List<Recorded> sent = new java.util.concurrent.CopyOnWriteArrayList<>();
        // submitted from the I/O thread itself, in one callback: the four reach the client in the same pass
        final Recorded trigger = new Recorded("t") {
            @Override
            protected void onResponse(final int status, final String retryAfter) {
                super.onResponse(status, retryAfter);
                sent.addAll(submit(client, 0, 4));
            }
        };
        learnItIsFast(client);
        client.submit(trigger);
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.size() == 4 && sent.stream().allMatch(Recorded::ended));
        assertThat(sent).allMatch(e -> e.status == 200 && e.marker.equals(e.retryAfter));
        final List<RawHttpServer.Request> four = work(server).subList(1, 5);
        assertThat(four).extracting(r -> r.body).containsExactly("0", "1", "2", "3");
        assertThat(four).extracting(r -> r.connection).containsOnly(four.get(0).connection);
        assertThat(four).extracting(r -> r.followed).containsExactly(true, true, true, false);
        assertOneOutcomeEach(client, sent);
    }

    @Test
    void aSlowEndpointGetsOneRequestPerConnectionUpToTheMaximum() throws Exception {
        final RawHttpServer server = server(conn -> {
            for (RawHttpServer.Request request = conn.read(); request != null; request = conn.read()) {
                // the endpoint's own work: the answer time is what the client judges "slow" by (> 2 ms), and a
                // busy machine only lengthens it; nothing here waits for another thread
                Thread.sleep(30);
                conn.answer(200, request.body);
            }
        });
        final Http1Client client = client(server.port(), 4, 8);
        final List<Recorded> sent = submit(client, 0, 4);
        awaitEnded(sent);
        sent.addAll(submit(client, 4, 16));
        awaitEnded(sent);
        assertThat(sent).allMatch(e -> e.status == 200 && e.marker.equals(e.retryAfter));
        assertThat(server.connections()).isEqualTo(4);
        assertThat(server.requests()).as("nothing pipelined to a slow endpoint").noneMatch(r -> r.followed);
        assertOneOutcomeEach(client, sent);
    }

    @Test
    void aConnectionCloseAnswerSendsWhatFollowedAgainOnAnotherConnection() throws Exception {
        final RawHttpServer server = server(conn -> {
            if (conn.index == 0) {
                final List<RawHttpServer.Request> four = readPastLearning(conn, 4);
                conn.write("HTTP/1.1 200 OK\r\nConnection: close\r\nRetry-After: " + four.get(0).body
                        + "\r\nContent-Length: 0\r\n\r\n");
                conn.close();
                return;
            }
            conn.answerAll();
        });
        final Http1Client client = client(server.port(), 1, 4);
        learnItIsFast(client);
        final List<Recorded> sent = submit(client, 0, 4);
        awaitEnded(sent);
        assertThat(sent).allMatch(e -> e.status == 200 && e.marker.equals(e.retryAfter), "answered, each its own");
        assertThat(server.connections()).isEqualTo(2);
        assertThat(server.requests().stream().filter(r -> r.connection == 1)).extracting(r -> r.body)
                .containsExactly("1", "2", "3");
        assertOneOutcomeEach(client, sent);
    }

    @Test
    void aServerThatClosesWithRequestsPipelinedGivesEachExactlyOneOutcome() throws Exception {
        final RawHttpServer server = server(conn -> {
            final List<RawHttpServer.Request> four = readPastLearning(conn, 4);
            conn.answer(200, four.get(0).body);
            conn.close(); // without a word about the three others
        });
        final Http1Client client = client(server.port(), 1, 4);
        learnItIsFast(client);
        final List<Recorded> sent = submit(client, 0, 4);
        awaitEnded(sent);
        assertThat(sent.get(0).status).isEqualTo(200);
        for (final Recorded exchange : sent.subList(1, 4)) {
            assertThat(exchange.status).isZero();
            assertThat(exchange.error).contains("closed");
        }
        assertOneOutcomeEach(client, sent);
    }

    @Test
    void chunkedInterimAndSplitResponsesAreRead() throws Exception {
        final RawHttpServer server = server(conn -> {
            readPastLearning(conn, 5);
            conn.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n"
                    + "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nRetry-After: a\r\n\r\n"
                    + "5;ext=1\r\nhello\r\n0\r\nX-Trailer: x\r\n\r\n");
            conn.write("HTTP/1.1 202 Accepted\r\nContent-Length: 5\r\nRetry-After:  b \r\n\r\nworld");
            conn.write("HTTP/1.1 500 Oops\r\ntransfer-encoding: chunked\r\nretry-after: c\r\n\r\n3\r\nabc\r\n"
                    + "A\r\n0123456789\r\n0\r\n\r\n");
            for (final char c : "HTTP/1.1 204 No Content\r\nRetry-After: d\r\n\r\n".toCharArray()) {
                conn.write(String.valueOf(c)); // one byte per segment
            }
            conn.write("HTTP/1.0 200 OK\r\nRetry-After: e\r\n\r\na body that ends when the connection does");
            conn.close();
        });
        final Http1Client client = client(server.port(), 1, 5);
        learnItIsFast(client);
        final List<Recorded> sent = submit(client, 0, 5);
        awaitEnded(sent);
        assertThat(sent).extracting(e -> e.status).containsExactly(201, 202, 500, 204, 200);
        assertThat(sent).extracting(e -> e.retryAfter).containsExactly("a", "b", "c", "d", "e");
        assertOneOutcomeEach(client, sent);
    }

    @Test
    void cancellingAPipelinedRequestClosesItsConnectionAndFailsTheOthersOnce() throws Exception {
        final RawHttpServer server = server(FOUR_UNANSWERED_ON_THE_FIRST_CONNECTION);
        final Http1Client client = client(server.port(), 1, 4);
        learnItIsFast(client);
        final List<Recorded> sent = submit(client, 0, 4);
        await().atMost(Duration.ofSeconds(10)).until(() -> work(server).size() == 4);
        assertThat(sent.get(1).cancel(true)).isTrue();
        assertThat(sent.get(1).isCancelled()).isTrue();
        awaitEnded(sent);
        assertThat(sent.get(1).error).isEqualTo("cancelled after cancel_timeout");
        for (final int other : new int[]{0, 2, 3}) {
            assertThat(sent.get(other).error).as("request " + other)
                    .isEqualTo("closed: a request on the same connection was cancelled after cancel_timeout");
        }
        assertThat(sent.get(1).cancel(true)).as("a second cancel").isFalse();
        final List<Recorded> after = submit(client, 4, 1);
        awaitEnded(after);
        assertThat(after.get(0).status).isEqualTo(200);
        assertThat(server.connections()).isEqualTo(2);
        sent.addAll(after);
        assertOneOutcomeEach(client, sent);
    }

    /**
     * The same cancel on a connection reused after it sat idle: the client closes it itself, so the requests
     * pipelined behind the cancelled one may have been handled and fail; none is taken for one the server's
     * idle close crossed and sent again.
     */
    @Test
    void aCancelOnAConnectionReusedAfterIdleSendsNothingAgain() throws Exception {
        final RawHttpServer server = server(FOUR_UNANSWERED_ON_THE_FIRST_CONNECTION);
        final Http1Client client = client(server.port(), 1, 4);
        learnItIsFast(client);
        sitIdlePastStale();
        final List<Recorded> sent = submit(client, 0, 4);
        await().atMost(Duration.ofSeconds(10)).until(() -> work(server).size() == 4);
        assertThat(sent.get(0).cancel(true)).isTrue();
        awaitEnded(sent);
        assertThat(sent.get(0).error).isEqualTo("cancelled after cancel_timeout");
        for (final int other : new int[]{1, 2, 3}) {
            assertThat(sent.get(other).error).as("request " + other)
                    .isEqualTo("closed: a request on the same connection was cancelled after cancel_timeout");
        }
        assertThat(work(server)).as("nothing sent again").hasSize(4);
        assertThat(server.connections()).isEqualTo(1);
        assertOneOutcomeEach(client, sent);
    }

    @Test
    void cancellingARequestThatWaitsForAConnectionLeavesTheConnectionAlone() throws Exception {
        final CountDownLatch release = new CountDownLatch(1);
        final RawHttpServer server = server(conn -> {
            for (RawHttpServer.Request request = conn.read(); request != null; request = conn.read()) {
                release.await();
                conn.answer(200, request.body);
            }
        });
        final Http1Client client = client(server.port(), 1, 1);
        final List<Recorded> sent = submit(client, 0, 2);
        await().atMost(Duration.ofSeconds(10)).until(() -> server.requests().size() == 1);
        sent.get(1).cancel(true);
        await().atMost(Duration.ofSeconds(10)).until(() -> sent.get(1).ended());
        assertThat(sent.get(1).error).isEqualTo("cancelled after cancel_timeout");
        release.countDown();
        awaitEnded(sent);
        assertThat(sent.get(0).status).isEqualTo(200);
        assertThat(server.requests()).extracting(r -> r.body).containsExactly("0");
        assertThat(server.connections()).isEqualTo(1);
        assertOneOutcomeEach(client, sent);
    }

    /**
     * A server closes an idle keep-alive connection just as a request goes out on it: the request never reached
     * the server's application, and goes out again, once, on a new connection instead of failing.
     */
    @Test
    void aRequestThatMeetsTheServersCloseOfAnIdleConnectionIsSentAgainOnce() throws Exception {
        final RawHttpServer server = server(conn -> {
            if (conn.index == 0) {
                conn.answer(200, conn.read().body);
                conn.read(); // the next request arrives on the idle connection: closed unanswered
                conn.close();
                return;
            }
            conn.answerAll();
        });
        final Http1Client client = client(server.port(), 1, 1);
        final List<Recorded> sent = submit(client, 0, 1);
        awaitEnded(sent);
        sitIdlePastStale();
        sent.addAll(submit(client, 1, 1));
        awaitEnded(sent);
        assertThat(sent.get(1).error).isNull();
        assertThat(sent.get(1).status).isEqualTo(200);
        assertThat(server.connections()).isEqualTo(2);
        assertThat(server.requests()).extracting(r -> r.connection + ":" + r.body).containsExactly("0:0", "0:1", "1:1");
        assertOneOutcomeEach(client, sent);
    }

    @Test
    void aRefusedConnectionFailsEveryWaitingRequestAtOnce() throws Exception {
        final int port;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = free.getLocalPort();
        }
        final Http1Client client = client(port, 2, 2);
        final List<Recorded> sent = submit(client, 0, 3);
        awaitEnded(sent);
        assertThat(sent).allSatisfy(e -> assertThat(e.error)
                .startsWith("connect to 127.0.0.1:" + port + " failed: ConnectException"));
        assertOneOutcomeEach(client, sent);
    }

    @Test
    void aClosedClientFailsWhatIsSubmittedAfterwards() throws Exception {
        final RawHttpServer server = server(conn -> {
            conn.answerAll();
        });
        final Http1Client client = client(server.port(), 1, 1);
        client.close();
        final List<Recorded> sent = submit(client, 0, 2);
        assertThat(sent).allMatch(e -> "HTTP client closed".equals(e.error) && e.outcomes.get() == 1);
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("mqtt-webhook-http-test"));
    }
}
