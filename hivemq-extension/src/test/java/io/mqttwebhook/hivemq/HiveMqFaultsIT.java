package io.mqttwebhook.hivemq;

import com.codahale.metrics.Gauge;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.extension.sdk.api.services.Services;
import io.mqttwebhook.testing.TestReceiver;
import io.mqttwebhook.testing.TestReceiver.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/** What a broken configuration or a broken endpoint does to a real HiveMQ: nothing beyond the webhook. */
class HiveMqFaultsIT {

    private static Mqtt5BlockingClient client(final HiveMqBroker broker, final String id) {
        return MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1").serverPort(broker.port())
                .buildBlocking();
    }

    @Test
    void aConfigurationErrorStopsTheExtensionNotTheBroker(@TempDir final Path dir) throws Exception {
        try (HiveMqBroker broker = new HiveMqBroker(dir, "webhook {\n  url = \"http://127.0.0.1:9/\"\n"
                + "  body.encoding = hex\n}\n")) {
            assertThat(broker.extensionDisabled()).as("HiveMQ wrote DISABLED into the extension folder").isTrue();
            assertThat(Services.metricRegistry().getGauges().keySet()).noneMatch(n -> n.startsWith("io.mqttwebhook."));
            final Mqtt5BlockingClient client = client(broker, "still-serving");
            client.connect();
            client.publishWith().topic("t").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[]{1}).send();
            client.disconnect();
        }
    }

    @Test
    void aHangingEndpointDoesNotHoldUpQos1Publishing(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.replyWith(r -> Reply.hang());
            try (HiveMqBroker broker = new HiveMqBroker(dir, "webhook {\n  url = \"" + receiver.url("/") + "\"\n"
                    + "  pool_size = 2\n  cancel_timeout = 60s\n  queue.capacity = 500\n"
                    + "  events = [ { event = on_message_publish } ]\n}\n")) {
                final Mqtt5BlockingClient client = client(broker, "fast");
                client.connect();
                // a guard against blocking, not a benchmark: 3 000 acknowledged publishes never finish if the
                // broker waited for the endpoint (which never answers)
                assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
                    for (int i = 0; i < 3000; i++) {
                        client.publishWith().topic("t/" + i).qos(MqttQos.AT_LEAST_ONCE).payload(new byte[100]).send();
                    }
                });
                client.disconnect();
                @SuppressWarnings("unchecked")
                final Gauge<Long> queued = Services.metricRegistry().getGauges().get("io.mqttwebhook.queued");
                @SuppressWarnings("unchecked")
                final Gauge<Long> dropped = Services.metricRegistry().getGauges().get("io.mqttwebhook.dropped.queue_full");
                assertThat(queued.getValue()).isLessThanOrEqualTo(500);
                await().until(() -> receiver.count() == 2);
                assertThat(dropped.getValue()).isEqualTo(3000 - 500 - 2);
            }
        }
    }
}
