package io.mqttwebhook.hivemq;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.extension.sdk.api.services.Services;
import io.mqttwebhook.testing.RoundTrips;
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
            assertThat(Services.metricRegistry().getMetrics().keySet()).noneMatch(n -> n.startsWith("io.mqttwebhook."));
            final Mqtt5BlockingClient client = client(broker, "still-serving");
            client.connect();
            client.publishWith().topic("t").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[]{1}).send();
            client.disconnect();
        }
    }

    @Test
    void aHangingEndpointDoesNotHoldUpQos1Publishing(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            try (HiveMqBroker broker = new HiveMqBroker(dir, "webhook {\n  url = \"" + receiver.url("/") + "\"\n"
                    + "  pool_size = 2\n  cancel_timeout = 60s\n  queue.capacity = 500\n"
                    + "  events = [ { event = on_message_publish } ]\n}\n")) {
                final Mqtt5BlockingClient client = client(broker, "fast");
                client.connect();
                final java.util.function.LongSupplier delivered = () -> HiveMqMetrics.endpoint("default", "delivered");
                final java.util.function.LongSupplier dropped = () -> HiveMqMetrics.endpoint("default", "dropped.queue_full");
                roundTrips(client, 500); // warm-up
                // with 2 connections a cold JVM may fall behind and overflow the queue of 500: count both outcomes
                await().atMost(Duration.ofSeconds(30)).until(() -> delivered.getAsLong() + dropped.getAsLong() == 500);
                final long[] healthy = roundTrips(client, 1000);
                await().atMost(Duration.ofSeconds(30)).until(() -> delivered.getAsLong() + dropped.getAsLong() == 1500);
                final long droppedBefore = dropped.getAsLong();

                receiver.replyWith(r -> Reply.hang());
                // also a guard against blocking: these would never finish if the broker waited for the endpoint
                final long[] hanging = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> roundTrips(client, 3000));
                client.disconnect();
                RoundTrips.assertNotSlowedByAHangingEndpoint("HiveMQ", healthy, hanging);

                assertThat(HiveMqMetrics.endpoint("default", "queued")).isLessThanOrEqualTo(500);
                // the endpoint never answers: 2 requests open, 500 queued, the rest dropped and counted
                await().until(() -> receiver.count() == delivered.getAsLong() + 2);
                assertThat(dropped.getAsLong() - droppedBefore).isEqualTo(3000 - 500 - 2);
            }
        }
    }

    @Test
    void aChangedConfigurationFileIsAppliedWhileHiveMqRuns(@TempDir final Path dir) throws Exception {
        try (TestReceiver before = TestReceiver.start(); TestReceiver after = TestReceiver.start()) {
            try (HiveMqBroker broker = new HiveMqBroker(dir, "webhook {\n  url = \"" + before.url("/") + "\"\n"
                    + "  reload.interval = 200ms\n  events = [ { event = on_client_connack } ]\n}\n")) {
                final Path conf = dir.resolve("extensions/mqtt-webhook/conf/webhook.conf");
                client(broker, "one").connect();
                await().until(() -> before.count() == 1);

                java.nio.file.Files.writeString(conf, "webhook {\n  url = \"" + after.url("/") + "\"\n"
                        + "  reload.interval = 200ms\n  events = [ { event = on_message_publish, topic = \"r/#\" } ]\n}\n");
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    final Mqtt5BlockingClient client = client(broker, "probe");
                    client.connect();
                    client.publishWith().topic("r/1").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[]{1}).send();
                    client.disconnect();
                    return after.count() > 0;
                });
                // from now on nothing goes to the old url (connacks of the probes before the swap did)
                final int beforeCount = before.count();
                // an invalid edit keeps what is in force
                final long rejected = HiveMqMetrics.value("io.mqttwebhook.reload.rejected");
                java.nio.file.Files.writeString(conf, "webhook {\n  url = \"" + after.url("/") + "\"\n  pool_size = 0\n}\n");
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> HiveMqMetrics.value("io.mqttwebhook.reload.rejected") == rejected + 1);
                final int count = after.count();
                final Mqtt5BlockingClient client = client(broker, "two");
                client.connect();
                client.publishWith().topic("r/2").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[]{2}).send();
                client.disconnect();
                await().until(() -> after.count() == count + 1);
                assertThat(before.count()).isEqualTo(beforeCount);
            }
        }
    }

    /**
     * A client that connected while no rule wanted its publishes or subscribes carries no interceptor for them
     * (ClientHooksTest checks which ones): a reload must add them to it, or its publishes are never seen.
     * The way back is checked as a user sees it, nothing more is sent; that the interceptor is gone too shows
     * only in the broker's throughput (benchmarks, "loaded, no rule for publishes").
     */
    @Test
    void aReloadHooksThePublishesOfAClientConnectedBeforeIt(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final String connackOnly = "webhook {\n  url = \"" + receiver.url("/") + "\"\n"
                    + "  reload.interval = 200ms\n  events = [ { event = on_client_connack } ]\n}\n";
            try (HiveMqBroker broker = new HiveMqBroker(dir, connackOnly)) {
                final Path conf = dir.resolve("extensions/mqtt-webhook/conf/webhook.conf");
                // connected while no rule wants publishes or subscribes: it gets no such interceptor
                final Mqtt5BlockingClient early = client(broker, "early");
                early.connect();
                await().until(() -> receiver.bodiesOf("early").size() == 1);

                java.nio.file.Files.writeString(conf, "webhook {\n  url = \"" + receiver.url("/") + "\"\n"
                        + "  reload.interval = 200ms\n  events = [ { event = on_message_publish, topic = \"r/#\" },"
                        + " { event = on_client_subscribe } ]\n}\n");
                // the same connection's publishes are hooked once the reload is applied
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    early.publishWith().topic("r/1").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[]{1}).send();
                    return receiver.bodiesOf("early").stream().anyMatch(b -> b.contains("\"r/1\""));
                });
                early.subscribeWith().topicFilter("s/#").send();
                await().until(() -> receiver.bodiesOf("early").stream().anyMatch(b -> b.contains("client_subscribe")));

                java.nio.file.Files.writeString(conf, connackOnly);
                // the reload is applied once a new client's connack arrives again
                await().atMost(Duration.ofSeconds(10)).until(() -> {
                    final Mqtt5BlockingClient probe = client(broker, "probe");
                    probe.connect();
                    probe.disconnect();
                    return !receiver.bodiesOf("probe").isEmpty();
                });
                // HiveMQ runs inbound interceptors before it answers, so once PUBACK and SUBACK are back, a match
                // would have been counted: nothing was, so nothing is sent
                final long publishes = HiveMqMetrics.value("io.mqttwebhook.matched.on_message_publish");
                final long subscribes = HiveMqMetrics.value("io.mqttwebhook.matched.on_client_subscribe");
                early.publishWith().topic("r/2").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[]{2}).send();
                early.subscribeWith().topicFilter("t/#").send();
                assertThat(HiveMqMetrics.value("io.mqttwebhook.matched.on_message_publish")).isEqualTo(publishes);
                assertThat(HiveMqMetrics.value("io.mqttwebhook.matched.on_client_subscribe")).isEqualTo(subscribes);
                assertThat(receiver.bodiesOf("early")).noneMatch(b -> b.contains("\"r/2\"") || b.contains("t/#"));
                early.disconnect();
            }
        }
    }

    /** Nanoseconds of each acknowledged QoS 1 publish, sorted. */
    private static long[] roundTrips(final Mqtt5BlockingClient client, final int count) {
        final long[] nanos = new long[count];
        for (int i = 0; i < count; i++) {
            final long start = System.nanoTime();
            client.publishWith().topic("t/" + i).qos(MqttQos.AT_LEAST_ONCE).payload(new byte[100]).send();
            nanos[i] = System.nanoTime() - start;
        }
        java.util.Arrays.sort(nanos);
        return nanos;
    }
}
