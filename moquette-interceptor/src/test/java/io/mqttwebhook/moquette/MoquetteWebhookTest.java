package io.mqttwebhook.moquette;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.testing.RawMqtt;
import io.mqttwebhook.testing.TestReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.management.ObjectName;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The handler registered in code on a real Moquette, posting to a real HTTP server. */
class MoquetteWebhookTest {

    private static TestReceiver receiver;
    private static WebhookInterceptHandler handler;
    private static MoquetteBroker broker;

    @BeforeAll
    static void start() throws Exception {
        receiver = TestReceiver.start();
        final WebhookConfig config = ConfigLoader.parse("webhook {\n"
                + "  url = \"" + receiver.url("/hook") + "\"\n"
                + "  ordering = per_client\n"
                + "  events = [\n"
                + "    { event = on_client_connack }\n"
                + "    { event = on_client_connected }\n"
                + "    { event = on_client_disconnected }\n"
                + "    { event = on_message_publish, topic = \"a/#\" }\n"
                + "    { event = on_message_publish, topic = \"a/+\" }\n"
                + "    { event = on_message_publish, topic = \"bin/#\" }\n"
                + "    { event = on_client_subscribe }\n"
                + "    { event = on_session_subscribed }\n"
                + "    { event = on_client_unsubscribe }\n"
                + "    { event = on_session_unsubscribed }\n"
                + "  ]\n}\n", "test.conf").config().orElseThrow();
        handler = new WebhookInterceptHandler(config);
        broker = new MoquetteBroker(List.of(handler),
                new WebhookAuthenticator((clientId, username, password) -> !"bad".equals(username), handler));
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
        if (handler != null) {
            handler.close();
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    private static Mqtt3BlockingClient client(final String id) {
        return MqttClient.builder().useMqttVersion3().identifier(id).serverHost("127.0.0.1").serverPort(broker.port())
                .buildBlocking();
    }

    @Test
    void seedEventsWithUsernameGiveNanoMqBodies() {
        final Mqtt3BlockingClient client = client("m311");
        client.connectWith().simpleAuth().username("alice").password("pw".getBytes(StandardCharsets.UTF_8))
                .applySimpleAuth().keepAlive(30).send();
        client.publishWith().topic("a/b").qos(MqttQos.AT_LEAST_ONCE).payload("hello".getBytes(StandardCharsets.UTF_8)).send();
        client.publishWith().topic("other").qos(MqttQos.AT_LEAST_ONCE).payload("x".getBytes(StandardCharsets.UTF_8)).send();
        client.disconnect();
        final List<String> bodies = receiver.awaitBodies("m311", 4);
        assertThat(bodies.get(0)).isEqualTo("{\"proto_ver\":4,\"keepalive\":30,\"conn_ack\":\"success\","
                + "\"username\":\"alice\",\"clientid\":\"m311\",\"action\":\"client_connack\"}");
        assertThat(bodies.get(1)).matches("\\{\"action\":\"client_connected\",\"clientid\":\"m311\",\"username\":\"alice\","
                + "\"ipaddress\":\"\",\"keepalive\":30,\"proto_ver\":4,\"connected_at\":\\d{13}}");
        assertThat(bodies.get(2)).matches("\\{\"ts\":\\d{13},\"topic\":\"a/b\",\"retain\":false,\"qos\":1,"
                + "\"action\":\"message_publish\",\"from_username\":\"alice\",\"from_client_id\":\"m311\",\"payload\":\"hello\"}");
        assertThat(bodies.get(3)).isEqualTo("{\"reason\":\"normal\",\"username\":\"alice\",\"clientid\":\"m311\","
                + "\"action\":\"client_disconnected\"}");
        await().pollDelay(Duration.ofMillis(300)).until(() -> true);
        // a/b matched two rules (one request); "other" matched none; the clean DISCONNECT is one event
        assertThat(receiver.bodiesOf("m311")).hasSize(4);
    }

    @Test
    void mqtt31WithoutUsernameQos0And2RetainBinary() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", broker.port())) {
            final OutputStream out = socket.getOutputStream();
            out.write(RawMqtt.connect("m31", 3, 20));
            out.flush();
            assertThat(socket.getInputStream().readNBytes(4)).containsExactly(RawMqtt.CONNACK_ACCEPTED);
            // PUBLISH QoS 0 retain, topic bin/x, payload 'o' 'k' 0 0xff; then DISCONNECT
            out.write(RawMqtt.publishQos0("bin/x", true, new byte[]{'o', 'k', 0, (byte) 0xff}));
            out.write(RawMqtt.DISCONNECT);
            out.flush();
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
        final Mqtt3BlockingClient client = client("m2");
        client.connect();
        client.publishWith().topic("a/q2").qos(MqttQos.EXACTLY_ONCE).payload(new byte[0]).send();
        client.disconnect();
        final List<String> bodies = receiver.awaitBodies("m31", 4);
        assertThat(bodies.get(0)).isEqualTo("{\"proto_ver\":3,\"keepalive\":20,\"conn_ack\":\"success\","
                + "\"username\":\"undefined\",\"clientid\":\"m31\",\"action\":\"client_connack\"}");
        assertThat(bodies.get(2)).matches("\\{\"ts\":\\d{13},\"topic\":\"bin/x\",\"retain\":true,\"qos\":0,"
                + "\"action\":\"message_publish\",\"from_username\":\"undefined\",\"from_client_id\":\"m31\","
                + "\"payload\":\"ok\\\\u0000\uFFFD\"}");
        assertThat(bodies.get(3)).contains("\"reason\":\"normal\"");
        assertThat(receiver.awaitBodies("m2", 4).get(2)).matches("\\{\"ts\":\\d{13},\"topic\":\"a/q2\",\"retain\":false,\"qos\":2,"
                + "\"action\":\"message_publish\",\"from_username\":\"undefined\",\"from_client_id\":\"m2\",\"payload\":\"\"}");
    }

    @Test
    void aRefusedPasswordGivesConnackAndDisconnectedWithItsReason() {
        assertThatThrownBy(() -> client("refused").connectWith().simpleAuth().username("bad")
                .password("x".getBytes(StandardCharsets.UTF_8)).applySimpleAuth().send())
                .hasMessageContaining("BAD_USER_NAME_OR_PASSWORD");
        final List<String> bodies = receiver.awaitBodies("refused", 2);
        assertThat(bodies).containsExactly(
                "{\"proto_ver\":0,\"keepalive\":0,\"conn_ack\":\"bad_username_or_password\",\"username\":\"bad\","
                        + "\"clientid\":\"refused\",\"action\":\"client_connack\"}",
                "{\"reason\":\"bad_username_or_password\",\"username\":\"bad\",\"clientid\":\"refused\","
                        + "\"action\":\"client_disconnected\"}");
    }

    @Test
    void aDroppedSocketIsOneConnectionLost() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", broker.port())) {
            socket.getOutputStream().write(RawMqtt.connect("dropped", 4, 10));
            assertThat(socket.getInputStream().readNBytes(4)).containsExactly(RawMqtt.CONNACK_ACCEPTED);
        }
        final List<String> bodies = receiver.awaitBodies("dropped", 3);
        assertThat(bodies.get(2)).isEqualTo("{\"reason\":\"connection_lost\",\"username\":\"undefined\","
                + "\"clientid\":\"dropped\",\"action\":\"client_disconnected\"}");
        await().pollDelay(Duration.ofMillis(300)).until(() -> true);
        assertThat(receiver.bodiesOf("dropped")).hasSize(3);
    }

    @Test
    void aTakeoverGivesOneEventForTheOldConnection() {
        final Mqtt3BlockingClient first = client("same");
        first.connect();
        final Mqtt3BlockingClient second = client("same");
        second.connect();
        second.disconnect();
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.bodiesOf("same").stream()
                .filter(b -> b.contains("client_disconnected")).count() == 2);
        await().pollDelay(Duration.ofMillis(300)).until(() -> true);
        assertThat(receiver.bodiesOf("same").stream().filter(b -> b.contains("client_disconnected")))
                .containsExactly(
                        "{\"reason\":\"session_taken_over\",\"username\":\"undefined\",\"clientid\":\"same\",\"action\":\"client_disconnected\"}",
                        "{\"reason\":\"normal\",\"username\":\"undefined\",\"clientid\":\"same\",\"action\":\"client_disconnected\"}");
    }

    @Test
    void subscribeAndUnsubscribeGiveClientAndSessionEvents() {
        final Mqtt3BlockingClient client = client("msub");
        client.connect();
        client.subscribeWith().topicFilter("s/#").qos(MqttQos.AT_LEAST_ONCE).send();
        client.unsubscribeWith().topicFilter("s/#").send();
        client.disconnect();
        final String tail = "\"clientid\":\"msub\",\"username\":\"undefined\",\"topic\":\"s/#\"";
        assertThat(receiver.awaitBodies("msub", 7)).contains(
                "{\"action\":\"client_subscribe\"," + tail + ",\"opts\":{\"qos\":1}}",
                "{\"action\":\"session_subscribed\"," + tail + ",\"opts\":{\"qos\":1}}",
                "{\"action\":\"client_unsubscribe\"," + tail + "}",
                "{\"action\":\"session_unsubscribed\"," + tail + "}");
    }

    @Test
    void metricsAreReadableThroughJmx() throws Exception {
        final ObjectName name = handler.jmx().objectName();
        final long before = (Long) ManagementFactory.getPlatformMBeanServer().getAttribute(name, "matched_on_message_publish");
        final Mqtt3BlockingClient client = client("jmx");
        client.connect();
        client.publishWith().topic("a/jmx").payload(new byte[]{1}).send();
        client.disconnect();
        await().until(() -> (Long) ManagementFactory.getPlatformMBeanServer().getAttribute(name, "matched_on_message_publish")
                == before + 1);
        assertThat((Long) ManagementFactory.getPlatformMBeanServer().getAttribute(name, "endpoint_default_delivered")).isPositive();
        assertThat((Long) ManagementFactory.getPlatformMBeanServer().getAttribute(name,
                "endpoint_default_delivery_latency_count")).isPositive();
    }
}
