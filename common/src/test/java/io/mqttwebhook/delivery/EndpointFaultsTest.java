package io.mqttwebhook.delivery;

import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.EndpointConfig;
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

    private static EndpointConfig.Builder config(final int port) {
        return EndpointConfig.builder(URI.create("http://127.0.0.1:" + port + "/"))
                .rule(new Rule(EventType.MESSAGE_PUBLISH, null))
                .initialBackoff(Duration.ofMillis(10)).maxBackoff(Duration.ofMillis(100))
                .maxAttempts(1000).poolSize(8);
    }

    private static Webhook start(final EndpointConfig.Builder endpoint) {
        return Webhook.start(WebhookConfig.builder().endpoint(endpoint.build()).drainTimeout(Duration.ofSeconds(2)).build());
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
        final Set<String> received = java.util.concurrent.ConcurrentHashMap.newKeySet();
        try (TestReceiver endpoint = TestReceiver.startDown(); Webhook webhook = start(config(endpoint.port()))) {
            endpoint.replyWith(r -> {
                final Matcher matcher = PAYLOAD.matcher(r.body());
                if (matcher.find()) {
                    received.add(matcher.group(1));
                }
                return Reply.status(200);
            });
            final WebhookMetrics m = webhook.metrics();
            // ten flaps: 30 events published while the endpoint is down, a few attempts fail, then it comes up
            // for as long as it takes to deliver them, and goes down again
            for (int flap = 0; flap < 10; flap++) {
                final long failedBefore = m.requestsSent() - m.deliveredCount();
                for (int i = 0; i < 30; i++) {
                    webhook.publish(event(flap * 30 + i));
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> m.requestsSent() - m.deliveredCount() >= failedBefore + 3);
                final int expected = (flap + 1) * 30;
                endpoint.up();
                await().atMost(Duration.ofSeconds(20)).until(() -> m.deliveredCount() == expected);
                endpoint.down();
            }
            assertThat(received).hasSize(300);
            assertAccounted(m, 300);
            assertThat(m.droppedTotal()).isZero();
            assertThat(m.retriedCount()).isPositive();
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
            try (Webhook webhook = start(config(receiver.port()))) {
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
    void anEventTheEndpointNeverAnswersInTimeIsGivenUpWhileItAnswersOthers() throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.replyWith(r -> r.body().contains("\"payload\":\"0\"") ? Reply.slow(200, 1000) : Reply.status(200));
            try (Webhook webhook = start(config(receiver.port()).maxAttempts(3).cancelTimeout(Duration.ofMillis(150)))) {
                final WebhookMetrics m = webhook.metrics();
                webhook.publish(event(0));
                // others keep being answered while the poison event times out: its attempts count
                int n = 1;
                while (m.droppedCount(DropCause.RETRIES_EXHAUSTED) == 0 && n < 100_000) {
                    webhook.publish(event(n++));
                    final int sent = n - 1;
                    await().atMost(Duration.ofSeconds(10)).until(() -> m.deliveredCount() >= sent);
                }
                final int published = n;
                assertThat(m.droppedCount(DropCause.RETRIES_EXHAUSTED)).isEqualTo(1);
                assertAccounted(m, published);
                assertThat(m.deliveredCount()).isEqualTo(published - 1);
                assertThat(receiver.requests()).filteredOn(r -> r.body().contains("\"payload\":\"0\"")).hasSize(3);
            }
        }
    }

    @Test
    void anEndpointSlowerThanCancelTimeoutIsDownNotAReasonToGiveUp() throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final java.util.concurrent.atomic.AtomicBoolean slow = new java.util.concurrent.atomic.AtomicBoolean(true);
            receiver.replyWith(r -> slow.get() ? Reply.slow(200, 500) : Reply.status(200));
            try (Webhook webhook = start(config(receiver.port()).maxAttempts(2).cancelTimeout(Duration.ofMillis(100)))) {
                final WebhookMetrics m = webhook.metrics();
                for (int i = 0; i < 50; i++) {
                    webhook.publish(event(i));
                }
                // every attempt times out: the circuit opens, probes keep failing, and no event is given up
                await().atMost(Duration.ofSeconds(20)).until(() -> m.endpoints().get(0).circuitState() != 0
                        && m.requestsSent() >= 20);
                assertThat(m.droppedTotal()).isZero();
                slow.set(false);
                await().atMost(Duration.ofSeconds(20)).until(() -> m.deliveredCount() == 50);
                assertThat(m.droppedTotal()).isZero();
                assertThat(m.endpoints().get(0).circuitState()).isZero();
                assertAccounted(m, 50);
            }
        }
    }
}
