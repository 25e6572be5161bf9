package io.mqttwebhook.hivemq;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttwebhook.testing.TestReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The extension's life in a JVM: HiveMQ CE loads extensions only at start (runtime disable/enable through a
 * DISABLED file is an Enterprise feature), so stopping the extension means stopping the broker. Stopping
 * releases every webhook thread, reports the clients' disconnects before draining,
 * and a second broker in the same JVM starts a fresh webhook. Also the base64 and base62 encodings through the broker.
 */
class HiveMqLifecycleIT {

    private static Set<String> webhookThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("mqtt-webhook")).collect(Collectors.toSet());
    }

    private static Mqtt5BlockingClient client(final HiveMqBroker broker, final String id) {
        return MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1").serverPort(broker.port())
                .buildBlocking();
    }

    private static String conf(final TestReceiver receiver, final String encoding) {
        return "webhook {\n  url = \"" + receiver.url("/") + "\"\n  body.encoding = " + encoding + "\n"
                + "  events = [ { event = on_message_publish }, { event = on_client_disconnected } ]\n}\n";
    }

    @Test
    void eventsQueuedOnDiskAtStopAreDeliveredByTheNextBroker(@TempDir final Path dir) throws Exception {
        final TestReceiver receiver = TestReceiver.startDown();
        final Path queue = dir.resolve("queue");
        final String conf = "webhook {\n  url = \"" + receiver.url("/") + "\"\n"
                + "  queue { type = disk, dir = \"" + queue + "\", sync_interval = 50ms }\n"
                + "  retry.max_attempts = 3\n  shutdown.drain_timeout = 500ms\n"
                + "  events = [ { event = on_message_publish } ]\n}\n";
        final HiveMqBroker first = new HiveMqBroker(dir.resolve("first"), conf);
        try {
            final Mqtt5BlockingClient client = client(first, "disk");
            client.connect();
            for (int i = 0; i < 50; i++) {
                client.publishWith().topic("t").qos(MqttQos.AT_LEAST_ONCE).payload(("m" + i).getBytes(StandardCharsets.UTF_8)).send();
            }
            client.disconnect();
        } finally {
            first.close(); // the endpoint is down: the stop stores and commits the 50 events, which stay in the file
        }
        assertThat(io.mqttwebhook.testing.QueueFiles.committedEvents(queue)).isEqualTo(50);
        receiver.up();
        try (receiver) {
            final HiveMqBroker second = new HiveMqBroker(dir.resolve("second"), conf);
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.bodiesOf("disk").stream()
                        .map(b -> b.substring(b.indexOf("\"payload\""))).distinct().count() == 50);
            } finally {
                second.close();
            }
        }
    }

    @Test
    void stopReleasesEveryThreadReportsShutdownDisconnectsAndARestartWorks(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            for (final String run : new String[]{"first", "second"}) {
                // "hello" in base64, then in NanoMQ's base62
                final String encoding = run.equals("first") ? "base64" : "base62";
                final String encoded = run.equals("first") ? "aGVsbG8=" : "7tQLFHz";
                final HiveMqBroker broker = new HiveMqBroker(dir.resolve(run), conf(receiver, encoding));
                try {
                    await().until(() -> webhookThreads().containsAll(Set.of("mqtt-webhook-dispatcher-default", "mqtt-webhook-timer")));
                    final Mqtt5BlockingClient client = client(broker, run);
                    client.connect();
                    client.publishWith().topic("t").qos(MqttQos.AT_LEAST_ONCE)
                            .payload("hello".getBytes(StandardCharsets.UTF_8)).send();
                    await().until(() -> receiver.requests().stream().anyMatch(r -> r.body().matches(
                            "\\{\"ts\":\\d{13},\"topic\":\"t\",\"retain\":false,\"qos\":1,\"action\":\"message_publish\","
                                    + "\"from_username\":\"undefined\",\"from_client_id\":\"" + run + "\",\"payload\":\"" + encoded + "\"}")));
                } finally {
                    broker.close();
                }
                // HiveMQ CE closes its clients' sockets on stop without a DISCONNECT and tells extensions
                // nothing else, so the one disconnected event of each connection says connection_lost
                assertThat(receiver.requests()).as(run).filteredOn(r -> r.body().contains("client_disconnected") && r.body().contains("\"clientid\":\"" + run + "\""))
                        .extracting(TestReceiver.Request::body).containsExactly("{\"reason\":\"connection_lost\","
                                + "\"username\":\"undefined\",\"clientid\":\"" + run + "\",\"action\":\"client_disconnected\"}");
                await().atMost(Duration.ofSeconds(10)).until(() -> webhookThreads().isEmpty());
            }
        }
    }
}
