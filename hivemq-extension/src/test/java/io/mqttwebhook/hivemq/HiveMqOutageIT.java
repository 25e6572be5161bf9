package io.mqttwebhook.hivemq;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttwebhook.testing.Outages;
import io.mqttwebhook.testing.TestReceiver;
import io.mqttwebhook.testing.TestReceiver.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Endpoint outages through a real HiveMQ: an outage costs queue room, never an acknowledged event, however
 * few attempts are allowed and however long it lasts; a poison event is still given up after its attempts.
 */
class HiveMqOutageIT {

    private static Mqtt5BlockingClient client(final HiveMqBroker broker, final String id) {
        final Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1")
                .serverPort(broker.port()).buildBlocking();
        client.connect();
        return client;
    }

    @Test
    void outagesOf15SecondsWithThreeAttemptsAndThreeMinutesWithTheDefaultsLoseNothing(@TempDir final Path dir)
            throws Exception {
        try (Outages outages = new Outages();
             HiveMqBroker broker = new HiveMqBroker(dir, outages.configuration(dir.resolve("queues"), "o/#"))) {
            final Mqtt5BlockingClient client = client(broker, "outage");
            for (int i = 0; i < 200; i++) {
                client.publishWith().topic("o/t").qos(MqttQos.AT_LEAST_ONCE)
                        .payload(Outages.payload(i).getBytes(StandardCharsets.UTF_8)).send();
            }
            client.disconnect();
            outages.endAndCheck(200, HiveMqMetrics::dropped);
        }
    }

    @Test
    void aPoisonEventIsGivenUpAfterItsAttemptsWhileTheOthersAreDelivered(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.replyWith(r -> r.body().contains("\"payload\":\"poison\"") ? Reply.status(500) : Reply.status(200));
            try (HiveMqBroker broker = new HiveMqBroker(dir, "webhook {\n  url = \"" + receiver.url("/") + "\"\n"
                    + "  retry { max_attempts = 3, initial_backoff = 10ms, max_backoff = 50ms }\n"
                    + "  events = [ { event = on_message_publish } ]\n}\n")) {
                final Mqtt5BlockingClient client = client(broker, "poison");
                for (int i = 0; i < 50; i++) {
                    client.publishWith().topic("p").qos(MqttQos.AT_LEAST_ONCE)
                            .payload((i == 10 ? "poison" : "ok" + i).getBytes(StandardCharsets.UTF_8)).send();
                }
                client.disconnect();
                await().atMost(Duration.ofSeconds(20))
                        .until(() -> HiveMqMetrics.endpoint("default", "dropped.retries_exhausted") == 1);
                await().until(() -> HiveMqMetrics.endpoint("default", "delivered") == 49);
                assertThat(receiver.requests()).filteredOn(r -> r.body().contains("\"payload\":\"poison\"")).hasSize(3);
                assertThat(HiveMqMetrics.endpoint("default", "matched")).isEqualTo(50);
            }
        }
    }
}
