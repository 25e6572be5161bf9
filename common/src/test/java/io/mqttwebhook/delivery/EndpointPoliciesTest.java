package io.mqttwebhook.delivery;

import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.metrics.EndpointMetrics;
import io.mqttwebhook.metrics.WebhookMetrics;
import io.mqttwebhook.rule.Rule;
import io.mqttwebhook.testing.TestReceiver;
import io.mqttwebhook.testing.TestReceiver.Reply;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What an endpoint can say back (Standard Webhooks): 410 Gone stops sending to it until its configuration
 * changes, with events queueing meanwhile; 429, and 503 with Retry-After, pause the whole endpoint for that
 * long, at no cost to the events' attempts.
 */
class EndpointPoliciesTest {

    private static final Pattern PAYLOAD = Pattern.compile("\"payload\":\"([^\"]*)\"");

    private static EndpointConfig.Builder config(final TestReceiver receiver) {
        return EndpointConfig.builder(URI.create(receiver.url("/"))).rule(new Rule(EventType.MESSAGE_PUBLISH, null))
                .initialBackoff(Duration.ofMillis(10)).maxBackoff(Duration.ofMillis(100)).poolSize(4);
    }

    private static WebhookConfig webhook(final EndpointConfig.Builder endpoint) {
        return WebhookConfig.builder().endpoint(endpoint.build()).drainTimeout(Duration.ofSeconds(1)).build();
    }

    private static PublishEvent event(final int n) {
        return new PublishEvent("c" + n % 3, "u", "t", 1, false, Integer.toString(n).getBytes(StandardCharsets.UTF_8), n);
    }

    private static long gauge(final Webhook webhook, final String metric) {
        return webhook.metrics().snapshot().get("endpoint.default." + metric);
    }

    private static String payload(final TestReceiver.Request request) {
        final Matcher m = PAYLOAD.matcher(request.body());
        return m.find() ? m.group(1) : null;
    }

    @Test
    void goneStopsTheEndpointUntilItsConfigurationChangesAndEventsKeepQueueing() throws Exception {
        final PrintStream stderr = System.err;
        final ByteArrayOutputStream log = new ByteArrayOutputStream();
        final AtomicBoolean gone = new AtomicBoolean(true);
        final Set<String> delivered = ConcurrentHashMap.newKeySet();
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.replyWith(r -> {
                if (gone.get()) {
                    return Reply.status(410);
                }
                delivered.add(payload(r));
                return Reply.status(200);
            });
            // slf4j-simple writes to whatever System.err is when it logs
            System.setErr(new PrintStream(log, true, StandardCharsets.UTF_8));
            final EndpointConfig.Builder endpoint = config(receiver).header("x-version", "1");
            try (Webhook webhook = Webhook.start(webhook(endpoint))) {
                final EndpointMetrics m = webhook.metrics().endpoints().get(0);
                for (int i = 0; i < 4; i++) {
                    webhook.publish(event(i)); // up to pool_size requests meet the 410
                }
                await().until(() -> m.circuitState() == EndpointHealth.State.GONE.ordinal());
                assertThat(gauge(webhook, "circuit.state")).isEqualTo(4);
                assertThat(gauge(webhook, "up")).isZero();
                final int answered = receiver.count();
                for (int i = 4; i < 24; i++) {
                    webhook.publish(event(i));
                }
                // nothing more is sent; the events wait, none is given up
                await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(3)).until(() -> receiver.count() == answered);
                assertThat(m.queued() + m.inDelivery()).isEqualTo(24);
                assertThat(m.droppedTotal() + m.failedCount()).isZero();

                // a reload that changes nothing for this endpoint leaves it gone
                webhook.reconfigure(webhook(endpoint));
                await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3)).until(() -> receiver.count() == answered);
                assertThat(m.circuitState()).isEqualTo(4);

                // its configuration changed: sent again, everything queued meanwhile included
                gone.set(false);
                webhook.reconfigure(webhook(config(receiver).header("x-version", "2")));
                await().atMost(Duration.ofSeconds(10)).until(() -> m.deliveredCount() == 24);
                assertThat(delivered).hasSize(24);
                assertThat(m.circuitState()).isZero();
                assertThat(gauge(webhook, "up")).isEqualTo(1);
                assertThat(m.droppedTotal() + m.failedCount()).isZero();
            }
        } finally {
            System.setErr(stderr);
        }
        final String logged = log.toString(StandardCharsets.UTF_8);
        assertThat(logged.split("answered 410 Gone", -1)).as("logged once, at ERROR:\n" + logged).hasSize(2);
        assertThat(logged).contains("ERROR io.mqttwebhook.delivery.EndpointHealth - mqtt-webhook: endpoint default"
                + " answered 410 Gone");
    }

    @Test
    void tooManyRequestsOrUnavailableWithRetryAfterPauseTheWholeEndpoint() throws Exception {
        for (final int status : List.of(429, 503)) {
            final AtomicInteger requests = new AtomicInteger();
            try (TestReceiver receiver = TestReceiver.start()) {
                receiver.replyWith(r -> requests.incrementAndGet() == 1 ? Reply.retryAfter(status, "2") : Reply.status(200));
                // one attempt only: the pause must not cost the event its attempt
                try (Webhook webhook = Webhook.start(webhook(config(receiver).maxAttempts(1)))) {
                    final WebhookMetrics metrics = webhook.metrics();
                    final EndpointMetrics m = metrics.endpoints().get(0);
                    webhook.publish(event(0));
                    await().until(() -> m.circuitState() == EndpointHealth.State.PAUSED.ordinal());
                    assertThat(gauge(webhook, "circuit.state")).isEqualTo(3);
                    for (int i = 1; i < 10; i++) {
                        webhook.publish(event(i));
                    }
                    await().atMost(Duration.ofSeconds(10)).until(() -> m.deliveredCount() == 10);
                    final List<TestReceiver.Request> received = receiver.requests();
                    final TestReceiver.Request first = received.get(0);
                    // nothing went out during the pause, for any event (the clock is read in whole milliseconds)
                    assertThat(received.subList(1, received.size())).hasSize(10).allSatisfy(r ->
                            assertThat(r.receivedMillis - first.receivedMillis).as(status + ": sent during the pause")
                                    .isGreaterThanOrEqualTo(1990));
                    assertThat(received.stream().filter(r -> "0".equals(payload(r))))
                            .extracting(r -> r.header("webhook-id")).hasSize(2).containsOnly(first.header("webhook-id"));
                    assertThat(m.droppedTotal() + m.failedCount()).isZero();
                    assertThat(m.circuitState()).isZero();
                }
            }
        }
    }
}
