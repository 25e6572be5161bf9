package io.mqttwebhook.moquette;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.testing.Outages;
import io.mqttwebhook.testing.TestReceiver;
import io.mqttwebhook.testing.TestReceiver.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static io.mqttwebhook.moquette.MoquetteBroker.jmx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Endpoint outages through a real Moquette: an outage costs queue room, never an acknowledged event, however
 * few attempts are allowed and however long it lasts; a poison event is still given up after its attempts.
 */
class MoquetteOutageTest {

    private static Mqtt3BlockingClient client(final MoquetteBroker broker, final String id) {
        final Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3().identifier(id).serverHost("127.0.0.1")
                .serverPort(broker.port()).buildBlocking();
        client.connect();
        return client;
    }


    private static long dropped(final WebhookInterceptHandler handler, final String endpoint) {
        long total = 0;
        for (final io.mqttwebhook.metrics.WebhookMetrics.DropCause cause
                : io.mqttwebhook.metrics.WebhookMetrics.DropCause.values()) {
            total += jmx(handler, "endpoint_" + endpoint + "_dropped_" + cause.metricName());
        }
        return total;
    }

    @Test
    void outagesOf15SecondsWithThreeAttemptsAndThreeMinutesWithTheDefaultsLoseNothing(@TempDir final Path dir)
            throws Exception {
        try (Outages outages = new Outages()) {
            final WebhookInterceptHandler handler = new WebhookInterceptHandler(ConfigLoader.parse(
                    outages.configuration(dir.resolve("queues"), "o/#"), "outages.conf").config().orElseThrow());
            try (MoquetteBroker broker = new MoquetteBroker(List.of(handler), null)) {
                final Mqtt3BlockingClient client = client(broker, "outage");
                for (int i = 0; i < 200; i++) {
                    client.publishWith().topic("o/t").qos(MqttQos.AT_LEAST_ONCE)
                            .payload(Outages.payload(i).getBytes(StandardCharsets.UTF_8)).send();
                }
                client.disconnect();
                outages.endAndCheck(200, endpoint -> dropped(handler, endpoint));
            } finally {
                handler.close();
            }
        }
    }

    @Test
    void aPoisonEventIsGivenUpAfterItsAttemptsWhileTheOthersAreDelivered() throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.replyWith(r -> r.body().contains("\"payload\":\"poison\"") ? Reply.status(500) : Reply.status(200));
            final WebhookInterceptHandler handler = new WebhookInterceptHandler(ConfigLoader.parse("webhook {\n  url = \""
                    + receiver.url("/") + "\"\n  retry { max_attempts = 3, initial_backoff = 10ms, max_backoff = 50ms }\n"
                    + "  events = [ { event = on_message_publish } ]\n}\n", "poison.conf").config().orElseThrow());
            try (MoquetteBroker broker = new MoquetteBroker(List.of(handler), null)) {
                final Mqtt3BlockingClient client = client(broker, "poison");
                for (int i = 0; i < 50; i++) {
                    client.publishWith().topic("p").qos(MqttQos.AT_LEAST_ONCE)
                            .payload((i == 10 ? "poison" : "ok" + i).getBytes(StandardCharsets.UTF_8)).send();
                }
                client.disconnect();
                await().atMost(Duration.ofSeconds(20)).until(() -> jmx(handler, "endpoint_default_dropped_retries_exhausted") == 1);
                await().until(() -> jmx(handler, "endpoint_default_delivered") == 49);
                assertThat(receiver.requests()).filteredOn(r -> r.body().contains("\"payload\":\"poison\"")).hasSize(3);
                assertThat(jmx(handler, "endpoint_default_matched")).isEqualTo(50);
            } finally {
                handler.close();
            }
        }
    }
}
