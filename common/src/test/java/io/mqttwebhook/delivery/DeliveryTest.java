package io.mqttwebhook.delivery;

import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.config.Ordering;
import io.mqttwebhook.config.QueueOverflow;
import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.event.ConnackEvent;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.metrics.WebhookMetrics;
import io.mqttwebhook.metrics.WebhookMetrics.DropCause;
import io.mqttwebhook.rule.Rule;
import io.mqttwebhook.testing.TestReceiver;
import io.mqttwebhook.testing.TestReceiver.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

class DeliveryTest {

    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    private TestReceiver receiver() throws Exception {
        final TestReceiver receiver = TestReceiver.start();
        closeables.add(receiver);
        return receiver;
    }

    private static EndpointConfig.Builder config(final String url) {
        return EndpointConfig.builder(URI.create(url))
                .rule(new Rule(EventType.MESSAGE_PUBLISH, "#"))
                .initialBackoff(Duration.ofMillis(20))
                .maxBackoff(Duration.ofMillis(100));
    }

    private Webhook start(final EndpointConfig endpoint) {
        return start(WebhookConfig.builder().endpoint(endpoint).drainTimeout(Duration.ofSeconds(2)).build());
    }

    private Webhook start(final WebhookConfig config) {
        final Webhook webhook = Webhook.start(config);
        closeables.add(webhook);
        return webhook;
    }

    private static PublishEvent publish(final String client, final int n) {
        return new PublishEvent(client, "user", "t/" + client, 1, false,
                Integer.toString(n).getBytes(StandardCharsets.UTF_8), 1_700_000_000_000L + n);
    }

    /** The whole accounting rule: every matched event is delivered, failed or dropped, once. */
    private static void assertAccountedFor(final WebhookMetrics m) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(m.deliveredCount() + m.failedCount() + m.droppedTotal() + m.queued() + m.inDelivery())
                        .isEqualTo(m.matchedTotal()));
    }

    @Test
    void postsTheBodyWithHeadersAndAnEventId() throws Exception {
        final TestReceiver receiver = receiver();
        final Webhook webhook = start(config("http://127.0.0.1:" + receiver.port())
                .header("x-api-key", "42").build());
        webhook.publish(new PublishEvent("c1", "alice", "a/b/c", 1, false, "hello".getBytes(StandardCharsets.UTF_8),
                1_700_000_000_000L));
        await().until(() -> receiver.count() == 1);
        final TestReceiver.Request request = receiver.requests().get(0);
        assertThat(request.method).isEqualTo("POST");
        assertThat(request.target).isEqualTo("/");
        assertThat(request.body()).isEqualTo("{\"ts\":1700000000000,\"topic\":\"a/b/c\",\"retain\":false,\"qos\":1,"
                + "\"action\":\"message_publish\",\"from_username\":\"alice\",\"from_client_id\":\"c1\",\"payload\":\"hello\"}");
        assertThat(request.header("content-type")).isEqualTo("application/json");
        assertThat(request.header("x-api-key")).isEqualTo("42");
        assertThat(request.header("webhook-id")).startsWith("msg_");
        assertThat(request.header("webhook-signature")).isNull();
        await().until(() -> webhook.metrics().deliveredCount() == 1);
    }

    @Test
    void keepsPathAndQueryAndAConfiguredContentType() throws Exception {
        final TestReceiver receiver = receiver();
        final Webhook webhook = start(config(receiver.url("/hooks/mqtt?tenant=a%20b"))
                .header("Content-Type", "application/vnd.mqtt+json").build());
        webhook.publish(publish("c", 1));
        await().until(() -> receiver.count() == 1);
        assertThat(receiver.requests().get(0).target).isEqualTo("/hooks/mqtt?tenant=a%20b");
        assertThat(receiver.requests().get(0).header("content-type")).isEqualTo("application/vnd.mqtt+json");
    }

    @Test
    void oneRequestPerEventHoweverManyRulesMatchAndNoneWithoutARule() throws Exception {
        final TestReceiver receiver = receiver();
        // one connection: requests go out in queue order, so a second copy of the event would come before the marker
        final Webhook webhook = start(config(receiver.url("/"))
                .rule(new Rule(EventType.MESSAGE_PUBLISH, "t/+"))
                .rule(new Rule(EventType.MESSAGE_PUBLISH, "t/c"))
                .poolSize(1).build());
        webhook.publish(publish("c", 1));
        webhook.publish(new ConnackEvent("c", null, 4, 60, "success"));
        webhook.publish(publish("marker", 2));
        await().until(() -> webhook.metrics().deliveredCount() == 2);
        assertThat(receiver.count()).isEqualTo(2);
        assertThat(receiver.requests().get(1).body()).contains("\"from_client_id\":\"marker\"");
        assertThat(webhook.metrics().matchedCount(EventType.CLIENT_CONNACK)).isZero();
        assertThat(webhook.routing().match(EventType.MESSAGE_PUBLISH, "t/x")).isEqualTo(1);
        assertThat(webhook.routing().match(EventType.MESSAGE_PUBLISH, "$SYS/x")).isZero();
    }

    @Test
    void endpointDownThenUpDeliversEveryEventOnce() throws Exception {
        final TestReceiver receiver = TestReceiver.startDown();
        closeables.add(receiver);
        final Webhook webhook = start(config(receiver.url("/")).maxAttempts(100).build());
        for (int i = 0; i < 20; i++) {
            webhook.publish(publish("c" + (i % 3), i));
        }
        // the endpoint is seen down: its circuit opens (retries then wait instead of failing)
        await().until(() -> webhook.metrics().endpoints().get(0).circuitState() != 0);
        assertThat(webhook.metrics().retriedCount()).isPositive();
        receiver.up();
        await().atMost(Duration.ofSeconds(10)).until(() -> webhook.metrics().deliveredCount() == 20);
        final Set<String> ids = new HashSet<>();
        final Set<String> bodies = new HashSet<>();
        for (final TestReceiver.Request request : receiver.requests()) {
            ids.add(request.header("webhook-id"));
            bodies.add(request.body());
        }
        assertThat(receiver.count()).isEqualTo(20);
        assertThat(ids).hasSize(20);
        assertThat(bodies).hasSize(20);
        assertAccountedFor(webhook.metrics());
    }

    @Test
    void endpointHealthShowsInTheMetrics() throws Exception {
        final TestReceiver receiver = TestReceiver.startDown();
        closeables.add(receiver);
        final Webhook webhook = start(config(receiver.url("/")).poolSize(1).maxAttempts(1000).build());
        final WebhookMetrics m = webhook.metrics();
        final String e = "endpoint.default.";
        assertThat(m.snapshot()).containsEntry(e + "up", 1L).containsEntry(e + "consecutive_failures", 0L)
                .containsEntry(e + "failing_since_ms", 0L).containsEntry(e + "queue.oldest_age_ms", 0L)
                .containsEntry(e + "circuit.state", 0L);
        final long before = System.currentTimeMillis();
        for (int i = 0; i < 5; i++) {
            webhook.publish(publish("c", i));
        }
        // five attempts without an answer open the circuit
        await().until(() -> m.consecutiveFailures() >= 5 && m.snapshot().get(e + "circuit.state") != 0L);
        await().until(() -> m.oldestQueuedAgeMillis() >= 200);
        assertThat(m.snapshot()).containsEntry(e + "up", 0L);
        assertThat(m.failingSinceMillis()).isBetween(before, System.currentTimeMillis());
        // one event is in the slot, waiting for the endpoint, one may be out as the probe; the rest wait in the
        // queue since before the outage began, and nothing was given up
        assertThat(m.queued()).isBetween(3L, 4L);
        assertThat(m.queued() + m.inDelivery()).isEqualTo(5);
        assertThat(m.droppedTotal()).isZero();
        receiver.up();
        await().atMost(Duration.ofSeconds(10)).until(() -> m.deliveredCount() == 5);
        assertThat(m.snapshot()).containsEntry(e + "up", 1L).containsEntry(e + "consecutive_failures", 0L)
                .containsEntry(e + "failing_since_ms", 0L).containsEntry(e + "queue.oldest_age_ms", 0L)
                .containsEntry(e + "circuit.state", 0L);
    }

    @Test
    void serverErrorIsRetriedWithTheSameId() throws Exception {
        final TestReceiver receiver = receiver();
        final AtomicInteger calls = new AtomicInteger();
        receiver.replyWith(r -> Reply.status(calls.incrementAndGet() == 1 ? 503 : 200));
        final Webhook webhook = start(config(receiver.url("/")).build());
        webhook.publish(publish("c", 1));
        await().until(() -> webhook.metrics().deliveredCount() == 1);
        assertThat(receiver.count()).isEqualTo(2);
        assertThat(receiver.requests().get(0).header("webhook-id")).isEqualTo(receiver.requests().get(1).header("webhook-id"));
        assertThat(webhook.metrics().retriedCount()).isEqualTo(1);
        assertThat(webhook.metrics().requestsSent()).isEqualTo(2);
    }

    @Test
    void clientErrorsAndRedirectsAreNotRetried() throws Exception {
        final TestReceiver receiver = receiver();
        receiver.replyWith(r -> r.body().contains("marker") ? Reply.status(204)
                : Reply.status(r.body().contains("\"payload\":\"1\"") ? 400 : 302));
        // one connection: a retry of either would come before the marker
        final Webhook webhook = start(config(receiver.url("/")).poolSize(1).build());
        webhook.publish(publish("c", 1));
        webhook.publish(publish("c", 2));
        webhook.publish(publish("marker", 3));
        await().until(() -> webhook.metrics().failedCount() == 2 && webhook.metrics().deliveredCount() == 1);
        assertThat(receiver.count()).isEqualTo(3);
        assertThat(webhook.metrics().failedCount("4xx")).isEqualTo(1);
        assertThat(webhook.metrics().failedCount("3xx")).isEqualTo(1);
        assertThat(webhook.metrics().retriedCount()).isZero();
    }

    @Test
    void retriesEndAfterMaxAttemptsAndAreCounted() throws Exception {
        final TestReceiver receiver = receiver();
        receiver.replyWith(r -> Reply.status(500));
        final Webhook webhook = start(config(receiver.url("/")).maxAttempts(3).build());
        webhook.publish(publish("c", 1));
        await().until(() -> webhook.metrics().droppedCount(DropCause.RETRIES_EXHAUSTED) == 1);
        assertThat(receiver.count()).isEqualTo(3);
        assertAccountedFor(webhook.metrics());
    }

    @Test
    void retryAfterIsHonoured() throws Exception {
        final TestReceiver receiver = receiver();
        final AtomicInteger calls = new AtomicInteger();
        receiver.replyWith(r -> calls.incrementAndGet() == 1 ? Reply.retryAfter(429, "1") : Reply.status(204));
        final Webhook webhook = start(config(receiver.url("/")).build());
        webhook.publish(publish("c", 1));
        await().atMost(Duration.ofSeconds(5)).until(() -> webhook.metrics().deliveredCount() == 1);
        final List<TestReceiver.Request> requests = receiver.requests();
        assertThat(requests.get(1).receivedMillis - requests.get(0).receivedMillis).isGreaterThanOrEqualTo(950);
    }

    @Test
    void aHangingEndpointNeverBlocksOfferAndTheQueueBoundHolds() throws Exception {
        final TestReceiver receiver = receiver();
        receiver.replyWith(r -> Reply.hang());
        final Webhook webhook = start(config(receiver.url("/")).poolSize(2).queueCapacity(100)
                .queueOverflow(QueueOverflow.DROP_OLDEST).cancelTimeout(Duration.ofSeconds(30)).build());
        // a guard against blocking, not a timing: 10 000 offers would never end if offer waited for the endpoint
        assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
            for (int i = 0; i < 10_000; i++) {
                webhook.publish(publish("c", i));
            }
        });
        final WebhookMetrics m = webhook.metrics();
        assertThat(m.queued()).isLessThanOrEqualTo(100);
        await().until(() -> receiver.count() == 2);
        assertThat(m.droppedCount(DropCause.QUEUE_FULL)).isEqualTo(10_000 - 100 - 2);
        assertThat(m.inFlight()).isEqualTo(2);
        assertAccountedFor(m);
    }

    @Test
    void dropOldestKeepsTheNewestAndDropNewestKeepsTheOldest() throws Exception {
        for (final QueueOverflow policy : QueueOverflow.values()) {
            final TestReceiver receiver = receiver();
            final AtomicInteger gate = new AtomicInteger();
            receiver.replyWith(r -> gate.get() == 0 ? Reply.slow(503, 50) : Reply.status(200));
            final Webhook webhook = start(config(receiver.url("/")).poolSize(1).queueCapacity(5).queueOverflow(policy)
                    .maxAttempts(1000).build());
            webhook.publish(publish("c", 0));
            await().until(() -> receiver.count() >= 1);
            for (int i = 1; i <= 20; i++) {
                webhook.publish(publish("c", i));
            }
            gate.set(1);
            await().until(() -> webhook.metrics().deliveredCount() == 6);
            final List<String> payloads = new ArrayList<>();
            for (final TestReceiver.Request request : receiver.requests()) {
                final Matcher m = Pattern.compile("\"payload\":\"(\\d+)\"").matcher(request.body());
                if (m.find() && !payloads.contains(m.group(1))) {
                    payloads.add(m.group(1));
                }
            }
            assertThat(payloads).as(policy.name()).containsExactlyInAnyOrderElementsOf(policy == QueueOverflow.DROP_OLDEST
                    ? List.of("0", "16", "17", "18", "19", "20") : List.of("0", "1", "2", "3", "4", "5"));
            assertThat(webhook.metrics().droppedCount(DropCause.QUEUE_FULL)).isEqualTo(15);
        }
    }

    @Test
    void poolSizeCapsConcurrentRequestsAtTheServer() throws Exception {
        final TestReceiver receiver = receiver();
        receiver.replyWith(r -> Reply.slow(200, 100));
        final Webhook webhook = start(config(receiver.url("/")).poolSize(3).build());
        for (int i = 0; i < 30; i++) {
            webhook.publish(publish("c" + i, i));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> webhook.metrics().deliveredCount() == 30);
        assertThat(receiver.maxConcurrent()).isEqualTo(3);
    }

    @Test
    void signatureVerifiesWithAnIndependentHmac() throws Exception {
        final TestReceiver receiver = receiver();
        final String secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        final WebhookConfig config = ConfigLoader.parse("webhook { url = \"" + receiver.url("/") + "\"\n"
                + "signing.secret = \"" + secret + "\"\n events = [ { event = on_message_publish } ] }", "t").config()
                .orElseThrow();
        final Webhook webhook = start(config);
        webhook.publish(publish("c", 1));
        await().until(() -> receiver.count() == 1);
        final TestReceiver.Request request = receiver.requests().get(0);
        final String id = request.header("webhook-id");
        final String timestamp = request.header("webhook-timestamp");
        assertThat(Long.parseLong(timestamp)).isCloseTo(System.currentTimeMillis() / 1000, org.assertj.core.data.Offset.offset(5L));
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring(6)), "HmacSHA256"));
        final byte[] expected = mac.doFinal((id + "." + timestamp + "." + request.body()).getBytes(StandardCharsets.UTF_8));
        assertThat(request.header("webhook-signature")).isEqualTo("v1," + Base64.getEncoder().encodeToString(expected));
    }

    @Test
    void batchingSendsJsonArrays() throws Exception {
        final TestReceiver receiver = receiver();
        final Webhook webhook = start(config(receiver.url("/")).batchMaxEvents(10).batchMaxDelay(Duration.ofMillis(200))
                .poolSize(1).build());
        for (int i = 0; i < 25; i++) {
            webhook.publish(publish("c", i));
        }
        await().until(() -> webhook.metrics().deliveredCount() == 25);
        int events = 0;
        for (final TestReceiver.Request request : receiver.requests()) {
            assertThat(request.body()).startsWith("[{").endsWith("}]");
            events += request.body().split("\"action\":").length - 1;
        }
        assertThat(events).isEqualTo(25);
        assertThat(receiver.count()).isLessThanOrEqualTo(5);
        assertThat(webhook.metrics().requestsSent()).isEqualTo(receiver.count());
    }

    @Test
    void perClientOrderingHoldsUnderConcurrencyAndFailures() throws Exception {
        final TestReceiver receiver = receiver();
        final Map<String, List<Integer>> acceptedOrder = new ConcurrentHashMap<>();
        final Pattern fields = Pattern.compile("\"from_client_id\":\"([^\"]+)\",\"payload\":\"(\\d+)\"");
        receiver.replyWith(r -> {
            if (ThreadLocalRandom.current().nextInt(5) == 0) {
                return Reply.status(503);
            }
            try {
                Thread.sleep(ThreadLocalRandom.current().nextInt(3));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            final Matcher m = fields.matcher(r.body());
            m.find();
            acceptedOrder.computeIfAbsent(m.group(1), c -> new CopyOnWriteArrayList<>()).add(Integer.parseInt(m.group(2)));
            return Reply.status(200);
        });
        final Webhook webhook = start(config(receiver.url("/")).poolSize(8).ordering(Ordering.PER_CLIENT)
                .maxAttempts(50).build());
        final List<Thread> publishers = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            final int thread = t;
            publishers.add(new Thread(() -> {
                for (int i = 0; i < 100; i++) {
                    webhook.publish(publish("client-" + thread + "-" + (i % 3), i));
                }
            }));
        }
        publishers.forEach(Thread::start);
        for (final Thread publisher : publishers) {
            publisher.join();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> webhook.metrics().deliveredCount() == 400);
        assertThat(acceptedOrder).hasSize(12);
        for (final Map.Entry<String, List<Integer>> client : acceptedOrder.entrySet()) {
            assertThat(client.getValue()).as(client.getKey()).isSorted().doesNotHaveDuplicates();
        }
        assertThat(receiver.maxConcurrent()).isGreaterThan(1);
    }

    @Test
    void stopDrainsWithinTheDeadlineCountsTheRestAndLeavesNoThread() throws Exception {
        final TestReceiver receiver = receiver();
        receiver.replyWith(r -> Reply.hang());
        final Webhook webhook = Webhook.start(WebhookConfig.builder().endpoint(config(receiver.url("/")).poolSize(2).build())
                .drainTimeout(Duration.ofMillis(300)).build());
        for (int i = 0; i < 5; i++) {
            webhook.publish(publish("c", i));
        }
        await().until(() -> receiver.count() == 2);
        webhook.close();
        webhook.publish(publish("c", 99));
        final WebhookMetrics m = webhook.metrics();
        assertThat(m.droppedCount(DropCause.SHUTDOWN)).isEqualTo(6);
        assertThat(m.deliveredCount()).isZero();
        assertThat(m.queued()).isZero();
        assertThat(m.inDelivery()).isZero();
        assertAccountedFor(m);
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet())
                .noneMatch(t -> t.isAlive() && (t.getName().startsWith("mqtt-webhook") || t.getName().contains("httpclient"))));
    }

    @Test
    void stopDeliversWhatIsQueuedWhenTheEndpointIsHealthy() throws Exception {
        final TestReceiver receiver = receiver();
        receiver.replyWith(r -> Reply.slow(200, 5));
        final Webhook webhook = Webhook.start(WebhookConfig.of(config(receiver.url("/")).poolSize(4).build()));
        for (int i = 0; i < 200; i++) {
            webhook.publish(publish("c" + (i % 7), i));
        }
        webhook.close();
        assertThat(webhook.metrics().deliveredCount()).isEqualTo(200);
        assertThat(receiver.count()).isEqualTo(200);
    }
}
