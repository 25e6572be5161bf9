package io.mqttwebhook.moquette;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import io.moquette.BrokerConstants;
import io.moquette.broker.config.IConfig;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.testing.RoundTrips;
import io.mqttwebhook.testing.TestReceiver;
import io.mqttwebhook.testing.TestReceiver.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Moquette configured the way a standalone installation is: {@code intercept.handler} and
 * {@code authenticator_class} in its configuration, the webhook's file named by {@code mqtt.webhook.config}.
 */
class MoquetteStandaloneTest {

    @AfterEach
    void clearProperty() {
        System.clearProperty(ConfigLoader.SYSTEM_PROPERTY);
    }

    private static Set<String> webhookThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName)
                .filter(n -> n.startsWith("mqtt-webhook")).collect(Collectors.toSet());
    }

    private static Properties standalone(final Path dir) throws Exception {
        final Path passwords = dir.resolve("password_file.conf");
        final String sha256 = String.format("%064x", new BigInteger(1,
                MessageDigest.getInstance("SHA-256").digest("secret".getBytes(StandardCharsets.UTF_8))));
        Files.writeString(passwords, "alice:" + sha256 + "\n");
        final Properties properties = MoquetteBroker.defaults();
        properties.setProperty(BrokerConstants.INTERCEPT_HANDLER_PROPERTY_NAME, WebhookInterceptHandler.class.getName());
        properties.setProperty(IConfig.AUTHENTICATOR_CLASS_NAME, WebhookAuthenticator.class.getName());
        properties.setProperty(IConfig.PASSWORD_FILE_PROPERTY_NAME, passwords.toString());
        return properties;
    }

    private static Mqtt3BlockingClient client(final MoquetteBroker broker, final String id) {
        return MqttClient.builder().useMqttVersion3().identifier(id).serverHost("127.0.0.1").serverPort(broker.port())
                .buildBlocking();
    }

    @Test
    void registeredByConfigurationThenStoppedAndStartedAgainInOneJvm(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            for (final String encoding : new String[]{"base64", "base62"}) {
                final Path conf = dir.resolve(encoding + ".conf");
                Files.writeString(conf, "webhook {\n  url = \"" + receiver.url("/") + "\"\n  body.encoding = " + encoding
                        + "\n  events = [ { event = on_client_connack }, { event = on_message_publish },"
                        + " { event = on_client_disconnected } ]\n}\n");
                System.setProperty(ConfigLoader.SYSTEM_PROPERTY, conf.toString());
                receiver.clear();
                try (MoquetteBroker broker = new MoquetteBroker(standalone(dir))) {
                    final Mqtt3BlockingClient alice = client(broker, "alice-" + encoding);
                    alice.connectWith().simpleAuth().username("alice").password("secret".getBytes(StandardCharsets.UTF_8))
                            .applySimpleAuth().send();
                    alice.publishWith().topic("t").qos(MqttQos.AT_LEAST_ONCE).payload("hello".getBytes(StandardCharsets.UTF_8)).send();
                    alice.disconnect();
                    assertThatThrownBy(() -> client(broker, "mallory").connectWith().simpleAuth().username("alice")
                            .password("wrong".getBytes(StandardCharsets.UTF_8)).applySimpleAuth().send())
                            .hasMessageContaining("BAD_USER_NAME_OR_PASSWORD");
                    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.count() == 5);
                }
                // stopServer ends Moquette's threads; the webhook then drains and ends its own
                await().atMost(Duration.ofSeconds(15)).until(() -> webhookThreads().isEmpty());
                final String payload = encoding.equals("base64") ? "aGVsbG8=" : "7tQLFHz";
                assertThat(receiver.requests()).extracting(TestReceiver.Request::body).hasSize(5)
                        .anyMatch(b -> b.endsWith("\"from_client_id\":\"alice-" + encoding + "\",\"payload\":\"" + payload + "\"}"))
                        .contains("{\"proto_ver\":0,\"keepalive\":0,\"conn_ack\":\"bad_username_or_password\","
                                + "\"username\":\"alice\",\"clientid\":\"mallory\",\"action\":\"client_connack\"}");
                // no event of the first broker was sent again by the second
                assertThat(receiver.requests()).noneMatch(r -> r.body().contains("alice-base64") && encoding.equals("base62"));
            }
        }
    }

    @Test
    void eventsQueuedOnDiskAtStopAreDeliveredAfterARestart(@TempDir final Path dir) throws Exception {
        final TestReceiver receiver = TestReceiver.startDown();
        final String conf = "webhook {\n  url = \"" + receiver.url("/") + "\"\n"
                + "  queue { type = disk, dir = \"" + dir.resolve("queue") + "\", sync_interval = 50ms }\n"
                + "  retry.max_attempts = 3\n  shutdown.drain_timeout = 500ms\n"
                + "  events = [ { event = on_message_publish } ]\n}\n";
        final WebhookInterceptHandler first = new WebhookInterceptHandler(ConfigLoader.parse(conf, "t").config().orElseThrow());
        try (MoquetteBroker broker = new MoquetteBroker(java.util.List.of(first), null)) {
            final Mqtt3BlockingClient client = client(broker, "disk");
            client.connect();
            for (int i = 0; i < 50; i++) {
                client.publishWith().topic("t").qos(MqttQos.AT_LEAST_ONCE).payload(("m" + i).getBytes(StandardCharsets.UTF_8)).send();
            }
            client.disconnect();
        }
        first.close(); // the endpoint is down: the stop stores and commits the events, which stay in the file
        assertThat(io.mqttwebhook.testing.QueueFiles.committedEvents(dir.resolve("queue"))).isEqualTo(50);
        receiver.up();
        try (receiver) {
            final WebhookInterceptHandler second =
                    new WebhookInterceptHandler(ConfigLoader.parse(conf, "t").config().orElseThrow());
            try (MoquetteBroker broker = new MoquetteBroker(java.util.List.of(second), null)) {
                // the webhook starts with the handler: the queue file drains with no client connected
                await().atMost(Duration.ofSeconds(30)).until(() -> receiver.bodiesOf("disk").stream()
                        .map(b -> b.substring(b.indexOf("\"payload\""))).distinct().count() == 50);
            }
            second.close();
        }
    }

    @Test
    void withTheServerTheWebhookSeesTheStopEvenWithNoClientEver(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final io.moquette.broker.Server server = new io.moquette.broker.Server();
            final WebhookInterceptHandler handler = new WebhookInterceptHandler(ConfigLoader.parse("webhook {\n  url = \""
                    + receiver.url("/") + "\"\n  events = [ { event = on_message_publish } ]\n}\n", "t")
                    .config().orElseThrow(), server);
            server.startServer(new io.moquette.broker.config.MemoryConfig(MoquetteBroker.defaults()),
                    java.util.List.of(handler), null, null, null);
            await().until(() -> webhookThreads().contains("mqtt-webhook-dispatcher-default"));
            server.stopServer();
            await().atMost(Duration.ofSeconds(15)).until(() -> webhookThreads().isEmpty());
            assertThat(handler.jmx()).isNotNull();
        }
    }

    @Test
    void moquetteIsAskedOnlyForTheNotificationsTheRulesNeed() {
        final WebhookInterceptHandler publishes = new WebhookInterceptHandler(ConfigLoader.parse("webhook {\n  url ="
                + " \"http://127.0.0.1:9/\"\n  events = [ { event = on_message_publish } ]\n}\n", "t").config().orElseThrow());
        final WebhookInterceptHandler disconnects = new WebhookInterceptHandler(ConfigLoader.parse("webhook {\n  url ="
                + " \"http://127.0.0.1:9/\"\n  events = [ { event = on_client_disconnected } ]\n}\n", "t").config().orElseThrow());
        try {
            assertThat(publishes.getInterceptedMessageTypes())
                    .containsExactly(io.moquette.interception.messages.InterceptPublishMessage.class);
            assertThat(disconnects.getInterceptedMessageTypes()).containsExactlyInAnyOrder(
                    io.moquette.interception.messages.InterceptConnectMessage.class,
                    io.moquette.interception.messages.InterceptDisconnectMessage.class,
                    io.moquette.interception.messages.InterceptConnectionLostMessage.class);
        } finally {
            publishes.close();
            disconnects.close();
        }
    }

    @Test
    void aConfigurationErrorFailsTheHandlerNotTheBroker(@TempDir final Path dir) throws Exception {
        final Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, "webhook {\n  url = \"http://127.0.0.1:9/\"\n  pool_size = 0\n}\n");
        System.setProperty(ConfigLoader.SYSTEM_PROPERTY, conf.toString());
        assertThatThrownBy(WebhookInterceptHandler::new).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("mqtt-webhook configuration error: webhook.pool_size at " + conf
                        + ":3: 0 must be a whole number greater than 0");
        final Properties properties = MoquetteBroker.defaults();
        properties.setProperty(BrokerConstants.INTERCEPT_HANDLER_PROPERTY_NAME, WebhookInterceptHandler.class.getName());
        try (MoquetteBroker broker = new MoquetteBroker(properties)) {
            final Mqtt3BlockingClient client = client(broker, "still-serving");
            client.connect();
            client.publishWith().topic("t").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[]{1}).send();
            client.disconnect();
        }
        assertThat(webhookThreads()).isEmpty();
    }

    @Test
    void aHangingEndpointDoesNotHoldUpPublishAcknowledgements(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final Path conf = dir.resolve("hang.conf");
            Files.writeString(conf, "webhook {\n  url = \"" + receiver.url("/") + "\"\n  pool_size = 2\n"
                    + "  cancel_timeout = 60s\n  queue.capacity = 5000\n  shutdown.drain_timeout = 200ms\n"
                    + "  events = [ { event = on_message_publish } ]\n}\n");
            System.setProperty(ConfigLoader.SYSTEM_PROPERTY, conf.toString());
            final Properties properties = MoquetteBroker.defaults();
            properties.setProperty(BrokerConstants.INTERCEPT_HANDLER_PROPERTY_NAME, WebhookInterceptHandler.class.getName());
            try (MoquetteBroker broker = new MoquetteBroker(properties)) {
                final Mqtt3BlockingClient client = client(broker, "fast");
                client.connect();
                final long[] healthy = roundTrips(client, 1000);
                await().until(() -> receiver.count() == 1000);
                receiver.replyWith(r -> Reply.hang());
                final long[] hanging = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> roundTrips(client, 3000));
                client.disconnect();
                RoundTrips.assertNotSlowedByAHangingEndpoint("Moquette", healthy, hanging);
            }
        }
    }

    /** Nanoseconds of each acknowledged QoS 1 publish, sorted. */
    private static long[] roundTrips(final Mqtt3BlockingClient client, final int count) {
        final long[] nanos = new long[count];
        for (int i = 0; i < count; i++) {
            final long start = System.nanoTime();
            client.publishWith().topic("t/" + i).qos(MqttQos.AT_LEAST_ONCE).payload(new byte[100]).send();
            nanos[i] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        return nanos;
    }
}
