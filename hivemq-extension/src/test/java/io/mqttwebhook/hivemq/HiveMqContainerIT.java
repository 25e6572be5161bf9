package io.mqttwebhook.hivemq;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttwebhook.testing.TestReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testcontainers.Testcontainers;
import org.testcontainers.hivemq.HiveMQContainer;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The built extension folder in the official {@code hivemq/hivemq-ce} image, as HiveMQ's own extensions are
 * tested. Runs only where Docker is available; elsewhere (as on this project's build machines) JUnit reports
 * it skipped with the reason "Docker is not available". The in-process broker tests cover the same ground.
 */
@org.testcontainers.junit.jupiter.Testcontainers(disabledWithoutDocker = true)
class HiveMqContainerIT {

    @Test
    void publishWebhookFromTheOfficialImage(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            Testcontainers.exposeHostPorts(receiver.port());
            final Path extension = dir.resolve("mqtt-webhook");
            HiveMqBroker.copy(HiveMqBroker.packagedFolder(), extension);
            Files.writeString(extension.resolve("conf/webhook.conf"), "webhook {\n  url = \"http://host.testcontainers.internal:"
                    + receiver.port() + "/hook\"\n  events = [ { event = on_message_publish } ]\n}\n");
            try (HiveMQContainer hivemq = new HiveMQContainer(DockerImageName.parse("hivemq/hivemq-ce").withTag("2025.4"))
                    .withExtension(MountableFile.forHostPath(extension))) {
                hivemq.start();
                final Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier("docker")
                        .serverHost(hivemq.getHost()).serverPort(hivemq.getMqttPort()).buildBlocking();
                client.connect();
                client.publishWith().topic("a/b").qos(MqttQos.AT_LEAST_ONCE).payload("hi".getBytes(StandardCharsets.UTF_8)).send();
                client.disconnect();
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.count() == 1);
                assertThat(receiver.requests().get(0).body()).endsWith(
                        "\"action\":\"message_publish\",\"from_username\":\"undefined\",\"from_client_id\":\"docker\",\"payload\":\"hi\"}");
            }
        }
    }
}
