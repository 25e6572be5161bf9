package io.mqttwebhook.delivery;

import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.metrics.WebhookMetrics;
import io.mqttwebhook.metrics.WebhookMetrics.DropCause;
import io.mqttwebhook.rule.Rule;
import io.mqttwebhook.testing.TestReceiver;
import io.mqttwebhook.testing.TestReceiver.Reply;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Endpoints that misbehave while events flow: flapping, failing half the time, dropping connections
 * mid-request, answering too slowly. Nothing is lost beyond the configured limits, and every loss is
 * counted by cause.
 */
class EndpointFaultsTest {

    private static final Pattern PAYLOAD = Pattern.compile("\"payload\":\"(\\d+)\"");

    private static WebhookConfig.Builder config(final int port) {
        return WebhookConfig.builder(URI.create("http://127.0.0.1:" + port + "/"))
                .rule(new Rule(EventType.MESSAGE_PUBLISH, null))
                .initialBackoff(Duration.ofMillis(10)).maxBackoff(Duration.ofMillis(100))
                .maxAttempts(1000).poolSize(8).drainTimeout(Duration.ofSeconds(2));
    }

    private static PublishEvent event(final int n) {
        return new PublishEvent("c" + (n % 5), "u", "t", 1, false, Integer.toString(n).getBytes(StandardCharsets.UTF_8), n);
    }


    private static void assertAccounted(final WebhookMetrics m, final int events) {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                m.deliveredCount() + m.failedCount() + m.droppedTotal()).isEqualTo(events));
    }

    @Test
    void aFlappingEndpointLosesNothing() throws Exception {
        final int port = TestReceiver.freePort();
        final Set<String> received = java.util.concurrent.ConcurrentHashMap.newKeySet();
        try (Webhook webhook = Webhook.start(config(port).build())) {
            final Thread publisher = new Thread(() -> {
                for (int i = 0; i < 300; i++) {
                    webhook.publish(event(i));
                    try {
                        Thread.sleep(5);
                    } catch (final InterruptedException e) {
                        return;
                    }
                }
            });
            publisher.start();
            // down 300 ms, up 300 ms, while the publisher runs and until everything is in
            while (publisher.isAlive() || webhook.metrics().deliveredCount() < 300) {
                Thread.sleep(300);
                try (TestReceiver up = TestReceiver.start(port)) {
                    up.replyWith(r -> {
                        final Matcher m = PAYLOAD.matcher(r.body());
                        if (m.find()) {
                            received.add(m.group(1));
                        }
                        return Reply.status(200);
                    });
                    Thread.sleep(300);
                }
            }
            assertThat(received).hasSize(300);
            assertAccounted(webhook.metrics(), 300);
            assertThat(webhook.metrics().droppedTotal()).isZero();
            assertThat(webhook.metrics().retriedCount()).isPositive();
        }
    }

    @Test
    void halfTheRequestsFailingOrDroppedMidRequestLosesNothing() throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final Set<String> received = java.util.concurrent.ConcurrentHashMap.newKeySet();
            final AtomicInteger aborted = new AtomicInteger();
            receiver.replyWith(r -> {
                switch (ThreadLocalRandom.current().nextInt(4)) {
                    case 0:
                        return Reply.status(500);
                    case 1:
                        aborted.incrementAndGet();
                        return Reply.abort();
                    default:
                        final Matcher m = PAYLOAD.matcher(r.body());
                        m.find();
                        received.add(m.group(1));
                        return Reply.status(200);
                }
            });
            try (Webhook webhook = Webhook.start(config(receiver.port()).build())) {
                for (int i = 0; i < 500; i++) {
                    webhook.publish(event(i));
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> webhook.metrics().deliveredCount() == 500);
                assertThat(received).hasSize(500);
                assertThat(aborted.get()).isPositive();
                assertThat(webhook.metrics().requestsSent()).isGreaterThan(500);
                assertAccounted(webhook.metrics(), 500);
            }
        }
    }

    @Test
    void answersSlowerThanCancelTimeoutAreRetriedThenCountedAsExhausted() throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.replyWith(r -> r.body().contains("\"payload\":\"0\"") ? Reply.slow(200, 1000) : Reply.status(200));
            try (Webhook webhook = Webhook.start(config(receiver.port()).maxAttempts(3)
                    .cancelTimeout(Duration.ofMillis(150)).build())) {
                for (int i = 0; i < 20; i++) {
                    webhook.publish(event(i));
                }
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> webhook.metrics().droppedCount(DropCause.RETRIES_EXHAUSTED) == 1);
                assertAccounted(webhook.metrics(), 20);
                assertThat(webhook.metrics().deliveredCount()).isEqualTo(19);
                // the slow event was attempted exactly max_attempts times
                await().untilAsserted(() -> assertThat(receiver.requests())
                        .filteredOn(r -> r.body().contains("\"payload\":\"0\"")).hasSize(3));
            }
        }
    }
}
