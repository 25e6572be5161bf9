package io.mqttwebhook.moquette;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.delivery.DeadLetter;
import io.mqttwebhook.testing.DeadLetterDirs;
import io.mqttwebhook.testing.TestReceiver;
import io.mqttwebhook.testing.TestReceiver.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.mqttwebhook.moquette.MoquetteBroker.jmx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Endpoint policies and dead letters through a real Moquette: a 410 stops the endpoint and acknowledged
 * publishes wait (and are dead-lettered at the stop), a 429 pauses it, a refusal is written to the dead-letter
 * file; the JMX bean shows each of them.
 */
class MoquetteEndpointPoliciesTest {

    private static WebhookInterceptHandler handler(final TestReceiver receiver, final Path deadLetters) {
        return new WebhookInterceptHandler(ConfigLoader.parse("webhook {\n  url = \"" + receiver.url("/") + "\"\n"
                + "  retry { initial_backoff = 10ms, max_backoff = 50ms }\n"
                + "  dead_letter.dir = \"" + deadLetters + "\"\n"
                + "  shutdown.drain_timeout = 300ms\n"
                + "  events = [ { event = on_message_publish } ]\n}\n", "policies.conf").config().orElseThrow());
    }

    private static void publish(final MoquetteBroker broker, final String client, final List<String> payloads) {
        final Mqtt3BlockingClient mqtt = MqttClient.builder().useMqttVersion3().identifier(client).serverHost("127.0.0.1")
                .serverPort(broker.port()).buildBlocking();
        mqtt.connect();
        for (final String payload : payloads) {
            mqtt.publishWith().topic("p/" + client).qos(MqttQos.AT_LEAST_ONCE)
                    .payload(payload.getBytes(StandardCharsets.UTF_8)).send();
        }
        mqtt.disconnect();
    }


    private static List<String> payloads(final int n) {
        final List<String> payloads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            payloads.add("m" + i);
        }
        return payloads;
    }

    @Test
    void goneStopsTheEndpointAcknowledgedPublishesWaitAndTheStopDeadLettersThem(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.replyWith(r -> Reply.status(410));
            final WebhookInterceptHandler handler = handler(receiver, dir);
            try (MoquetteBroker broker = new MoquetteBroker(List.of(handler), null)) {
                publish(broker, "gone", payloads(1));
                await().atMost(Duration.ofSeconds(10)).until(() -> jmx(handler, "endpoint_default_circuit_state") == 4);
                assertThat(jmx(handler, "endpoint_default_up")).isZero();
                publish(broker, "gone", payloads(10).subList(1, 10));
                await().atMost(Duration.ofSeconds(10)).until(() -> jmx(handler, "endpoint_default_matched") == 10);
                await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3)).until(() -> receiver.count() == 1);
                assertThat(jmx(handler, "endpoint_default_queued") + jmx(handler, "endpoint_default_in_delivery"))
                        .isEqualTo(10);
            } finally {
                handler.close();
            }
            // the memory queue's events are given up at the stop, each one a dead letter
            final List<DeadLetter> letters = DeadLetterDirs.read(dir);
            assertThat(letters).hasSize(10).allSatisfy(l -> assertThat(l.cause()).isEqualTo("shutdown"));
            assertThat(letters).filteredOn(l -> l.body().contains("\"payload\":\"m0\"")).singleElement()
                    .satisfies(l -> assertThat(l.status()).isEqualTo(410));
        }
    }

    @Test
    void tooManyRequestsPausesTheWholeEndpoint(@TempDir final Path dir) throws Exception {
        final AtomicInteger requests = new AtomicInteger();
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.replyWith(r -> requests.incrementAndGet() == 1 ? Reply.retryAfter(429, "1") : Reply.status(200));
            final WebhookInterceptHandler handler = handler(receiver, dir);
            try (MoquetteBroker broker = new MoquetteBroker(List.of(handler), null)) {
                publish(broker, "throttled", payloads(1));
                await().atMost(Duration.ofSeconds(10)).until(() -> jmx(handler, "endpoint_default_circuit_state") == 3);
                publish(broker, "throttled", payloads(10).subList(1, 10));
                await().atMost(Duration.ofSeconds(10)).until(() -> jmx(handler, "endpoint_default_delivered") == 10);
                final List<TestReceiver.Request> received = receiver.requests();
                assertThat(received.subList(1, received.size())).hasSize(10).allSatisfy(r ->
                        assertThat(r.receivedMillis - received.get(0).receivedMillis).isGreaterThanOrEqualTo(990));
                assertThat(jmx(handler, "endpoint_default_circuit_state")).isZero();
            } finally {
                handler.close();
            }
            assertThat(DeadLetterDirs.read(dir)).isEmpty();
        }
    }

    @Test
    void aRefusalIsADeadLetterAndTheJmxBeanCountsIt(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.replyWith(r -> r.body().contains("\"payload\":\"m3\"") ? Reply.status(422) : Reply.status(200));
            final WebhookInterceptHandler handler = handler(receiver, dir);
            try (MoquetteBroker broker = new MoquetteBroker(List.of(handler), null)) {
                publish(broker, "refused", payloads(5));
                await().atMost(Duration.ofSeconds(10)).until(() -> jmx(handler, "endpoint_default_dead_letter_status_4xx") == 1);
                assertThat(jmx(handler, "endpoint_default_failed_4xx")).isEqualTo(1);
                assertThat(jmx(handler, "endpoint_default_delivered")).isEqualTo(4);
                assertThat(jmx(handler, "endpoint_default_dead_letter_write_failed")).isZero();
                final DeadLetter letter = DeadLetterDirs.read(dir).get(0);
                final TestReceiver.Request refused = receiver.requests().stream()
                        .filter(r -> r.body().contains("\"payload\":\"m3\"")).findFirst().orElseThrow();
                assertThat(letter.body()).isEqualTo(refused.body());
                assertThat(letter.webhookId()).isEqualTo(refused.header("webhook-id"));
                assertThat(letter.clientId()).isEqualTo("refused");
                assertThat(letter.topic()).isEqualTo("p/refused");
            } finally {
                handler.close();
            }
        }
    }
}
