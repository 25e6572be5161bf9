package io.mqttwebhook.hivemq;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.MqttGlobalPublishFilter;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.message.disconnect.Mqtt5DisconnectReasonCode;
import com.hivemq.extension.sdk.api.services.Services;
import io.mqttwebhook.testing.RawMqtt;
import io.mqttwebhook.testing.TestReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The extension loaded from its packaged folder into a real HiveMQ, posting to a real HTTP server. */
class HiveMqWebhookIT {

    @TempDir
    static Path dir;
    private static TestReceiver receiver;
    private static HiveMqBroker broker;

    @BeforeAll
    static void start() throws Exception {
        receiver = TestReceiver.start();
        broker = new HiveMqBroker(dir, "webhook {\n"
                + "  url = \"" + receiver.url("/hook") + "\"\n"
                // the tests read each client's events in order
                + "  ordering = per_client\n"
                + "  events = [\n"
                + "    { event = on_client_connack }\n"
                + "    { event = on_client_disconnected }\n"
                + "    { event = on_message_publish, topic = \"a/#\" }\n"
                + "    { event = on_message_publish, topic = \"a/+\" }\n"
                + "    { event = on_message_publish, topic = \"bin/#\" }\n"
                + "    { event = on_client_subscribe }\n"
                + "    { event = on_session_subscribed }\n"
                + "    { event = on_client_unsubscribe }\n"
                + "    { event = on_session_unsubscribed }\n"
                + "    { event = on_message_delivered, topic = \"d/#\" }\n"
                + "    { event = on_message_acked, topic = \"d/#\" }\n"
                + "  ]\n"
                + "}\n");
    }

    @AfterAll
    static void stop() {
        if (broker != null) {
            broker.close();
        }
        if (receiver != null) {
            receiver.close();
        }
    }

    private static Mqtt3BlockingClient mqtt3(final String id) {
        return MqttClient.builder().useMqttVersion3().identifier(id).serverHost("127.0.0.1").serverPort(broker.port())
                .buildBlocking();
    }

    private static Mqtt5BlockingClient mqtt5(final String id) {
        return MqttClient.builder().useMqttVersion5().identifier(id).serverHost("127.0.0.1").serverPort(broker.port())
                .buildBlocking();
    }

    @Test
    void mqtt311ConnectPublishDisconnectGiveNanoMqBodies() {
        final Mqtt3BlockingClient client = mqtt3("c311");
        client.connectWith().simpleAuth().username("alice").password("pw".getBytes(StandardCharsets.UTF_8))
                .applySimpleAuth().keepAlive(60).send();
        final long before = System.currentTimeMillis();
        client.publishWith().topic("a/b").qos(MqttQos.AT_LEAST_ONCE).payload("hello".getBytes(StandardCharsets.UTF_8)).send();
        client.publishWith().topic("a/q0").qos(MqttQos.AT_MOST_ONCE).payload(new byte[0]).send();
        client.disconnect();
        final List<String> bodies = receiver.awaitBodies("c311", 4);
        assertThat(bodies.get(0)).isEqualTo("{\"proto_ver\":4,\"keepalive\":60,\"conn_ack\":\"success\","
                + "\"username\":\"alice\",\"clientid\":\"c311\",\"action\":\"client_connack\"}");
        assertThat(bodies.get(1)).matches("\\{\"ts\":\\d{13},\"topic\":\"a/b\",\"retain\":false,\"qos\":1,"
                + "\"action\":\"message_publish\",\"from_username\":\"alice\",\"from_client_id\":\"c311\",\"payload\":\"hello\"}");
        final long ts = Long.parseLong(bodies.get(1).substring(6, 19));
        assertThat(ts).isBetween(before - 1000, System.currentTimeMillis());
        assertThat(bodies.get(2)).matches("\\{\"ts\":\\d{13},\"topic\":\"a/q0\",\"retain\":false,\"qos\":0,"
                + "\"action\":\"message_publish\",\"from_username\":\"alice\",\"from_client_id\":\"c311\",\"payload\":\"\"}");
        assertThat(bodies.get(3)).isEqualTo("{\"reason\":\"normal\",\"username\":\"alice\",\"clientid\":\"c311\","
                + "\"action\":\"client_disconnected\"}");
        // two publish rules match a/b: still one request
        assertThat(bodies).hasSize(4);
    }

    @Test
    void mqtt5WithoutUsernameQos2RetainBinaryPayload() {
        final Mqtt5BlockingClient client = mqtt5("c5");
        client.connectWith().keepAlive(30).send();
        client.publishWith().topic("bin/x").qos(MqttQos.EXACTLY_ONCE).retain(true)
                .payload(new byte[]{'o', 'k', 0, (byte) 0xff}).send();
        client.publishWith().topic("other/x").qos(MqttQos.AT_MOST_ONCE).payload(new byte[]{1}).send();
        client.disconnectWith().reasonCode(Mqtt5DisconnectReasonCode.DISCONNECT_WITH_WILL_MESSAGE).send();
        final List<String> bodies = receiver.awaitBodies("c5", 3);
        assertThat(bodies.get(0)).isEqualTo("{\"proto_ver\":5,\"keepalive\":30,\"conn_ack\":\"success\","
                + "\"username\":\"undefined\",\"clientid\":\"c5\",\"action\":\"client_connack\"}");
        assertThat(bodies.get(1)).matches("\\{\"ts\":\\d{13},\"topic\":\"bin/x\",\"retain\":true,\"qos\":2,"
                + "\"action\":\"message_publish\",\"from_username\":\"undefined\",\"from_client_id\":\"c5\","
                + "\"payload\":\"ok\\\\u0000\uFFFD\"}");
        assertThat(bodies.get(2)).isEqualTo("{\"reason\":\"disconnect_with_will_message\",\"username\":\"undefined\","
                + "\"clientid\":\"c5\",\"action\":\"client_disconnected\"}");
        assertThat(bodies).noneMatch(b -> b.contains("other/x"));
    }

    @Test
    void subscribeAndUnsubscribeGiveClientAndSessionEventsPerFilter() {
        final Mqtt5BlockingClient client = mqtt5("csub");
        client.connect();
        client.subscribeWith().addSubscription().topicFilter("s/1").qos(MqttQos.AT_LEAST_ONCE).applySubscription()
                .addSubscription().topicFilter("s/#").qos(MqttQos.EXACTLY_ONCE).applySubscription().send();
        client.unsubscribeWith().topicFilter("s/1").send();
        client.disconnect();
        final List<String> bodies = receiver.awaitBodies("csub", 8);
        final String prefix = "\"clientid\":\"csub\",\"username\":\"undefined\",\"topic\":";
        assertThat(bodies).containsExactlyInAnyOrder(
                "{\"proto_ver\":5,\"keepalive\":60,\"conn_ack\":\"success\",\"username\":\"undefined\",\"clientid\":\"csub\",\"action\":\"client_connack\"}",
                "{\"action\":\"client_subscribe\"," + prefix + "\"s/1\",\"opts\":{\"qos\":1}}",
                "{\"action\":\"client_subscribe\"," + prefix + "\"s/#\",\"opts\":{\"qos\":2}}",
                "{\"action\":\"session_subscribed\"," + prefix + "\"s/1\",\"opts\":{\"qos\":1}}",
                "{\"action\":\"session_subscribed\"," + prefix + "\"s/#\",\"opts\":{\"qos\":2}}",
                "{\"action\":\"client_unsubscribe\"," + prefix + "\"s/1\"}",
                "{\"action\":\"session_unsubscribed\"," + prefix + "\"s/1\"}",
                "{\"reason\":\"normal\",\"username\":\"undefined\",\"clientid\":\"csub\",\"action\":\"client_disconnected\"}");
    }

    @Test
    void deliveredForEveryMessageSentAndAckedForQos1And2() throws Exception {
        final Mqtt5BlockingClient subscriber = mqtt5("dsub");
        subscriber.connect();
        subscriber.subscribeWith().topicFilter("d/#").qos(MqttQos.EXACTLY_ONCE).send();
        try (Mqtt5BlockingClient.Mqtt5Publishes received = subscriber.publishes(MqttGlobalPublishFilter.ALL)) {
            final Mqtt5BlockingClient publisher = mqtt5("dpub");
            publisher.connect();
            publisher.publishWith().topic("d/0").qos(MqttQos.AT_MOST_ONCE).payload("zero".getBytes(StandardCharsets.UTF_8)).send();
            publisher.publishWith().topic("d/1").qos(MqttQos.AT_LEAST_ONCE).payload("one".getBytes(StandardCharsets.UTF_8)).send();
            publisher.publishWith().topic("d/2").qos(MqttQos.EXACTLY_ONCE).payload("two".getBytes(StandardCharsets.UTF_8)).send();
            publisher.disconnect();
            for (int i = 0; i < 3; i++) {
                assertThat(received.receive(10, java.util.concurrent.TimeUnit.SECONDS)).isPresent();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.bodiesOf("dsub").stream()
                .filter(b -> b.contains("message_delivered") || b.contains("message_acked")).count() == 5);
        final List<String> messages = receiver.bodiesOf("dsub").stream()
                .filter(b -> b.contains("message_delivered") || b.contains("message_acked")).collect(Collectors.toList());
        final String body = "\\{\"action\":\"%s\",\"clientid\":\"dsub\",\"username\":\"undefined\",\"from_client_id\":\"\","
                + "\"from_username\":\"undefined\",\"topic\":\"d/%d\",\"qos\":%d,\"retain\":false,\"payload\":\"%s\",\"ts\":\\d{13}}";
        assertThat(messages).anyMatch(b -> b.matches(String.format(body, "message_delivered", 0, 0, "zero")))
                .anyMatch(b -> b.matches(String.format(body, "message_delivered", 1, 1, "one")))
                .anyMatch(b -> b.matches(String.format(body, "message_delivered", 2, 2, "two")))
                .anyMatch(b -> b.matches(String.format(body, "message_acked", 1, 1, "one")))
                .anyMatch(b -> b.matches(String.format(body, "message_acked", 2, 2, "two")))
                .hasSize(5);
        subscriber.disconnect();
    }

    @Test
    void refusedConnectsGiveAConnackWithTheReasonAndOneDisconnected() {
        assertThatThrownBy(() -> mqtt5("bad5").connectWith().simpleAuth().username("bad").applySimpleAuth().send())
                .hasMessageContaining("BAD_USER_NAME_OR_PASSWORD");
        assertThatThrownBy(() -> mqtt3("bad3").connectWith().simpleAuth().username("bad").applySimpleAuth().send())
                .isInstanceOf(RuntimeException.class);
        assertThatThrownBy(() -> mqtt5("denied5").connectWith().simpleAuth().username("denied").applySimpleAuth().send())
                .hasMessageContaining("NOT_AUTHORIZED");
        for (final String id : new String[]{"bad5", "bad3", "denied5"}) {
            final List<String> bodies = receiver.awaitBodies(id, 2);
            final String reason = id.startsWith("bad") ? "bad_username_or_password" : "not_authorized";
            assertThat(bodies).as(id).hasSize(2);
            bodies.sort((a, b) -> Boolean.compare(a.contains("client_disconnected"), b.contains("client_disconnected")));
            assertThat(bodies.get(0)).as(id).contains("\"conn_ack\":\"" + reason + "\"", "\"username\":\""
                    + (id.startsWith("bad") ? "bad" : "denied") + "\"");
            assertThat(bodies.get(1)).as(id).isEqualTo("{\"reason\":\"" + reason + "\",\"username\":\""
                    + (id.startsWith("bad") ? "bad" : "denied") + "\",\"clientid\":\"" + id + "\",\"action\":\"client_disconnected\"}");
        }
        await().pollDelay(Duration.ofMillis(300)).until(() -> true);
        assertThat(receiver.bodiesOf("bad5")).hasSize(2);
    }

    @Test
    void aDroppedSocketIsConnectionLost() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", broker.port())) {
            final OutputStream out = socket.getOutputStream();
            out.write(RawMqtt.connect("lost", 4, 10));
            out.flush();
            final InputStream in = socket.getInputStream();
            assertThat(in.readNBytes(4)).containsExactly(RawMqtt.CONNACK_ACCEPTED);
        }
        final List<String> bodies = receiver.awaitBodies("lost", 2);
        assertThat(bodies.get(1)).isEqualTo("{\"reason\":\"connection_lost\",\"username\":\"undefined\","
                + "\"clientid\":\"lost\",\"action\":\"client_disconnected\"}");
    }

    @Test
    void mqtt31ClientIsProtoVer3() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", broker.port())) {
            final OutputStream out = socket.getOutputStream();
            out.write(RawMqtt.connect("c31", 3, 20));
            out.flush();
            assertThat(socket.getInputStream().readNBytes(4)).containsExactly(RawMqtt.CONNACK_ACCEPTED);
            out.write(RawMqtt.DISCONNECT);
            out.flush();
            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
        final List<String> bodies = receiver.awaitBodies("c31", 2);
        assertThat(bodies).containsExactly(
                "{\"proto_ver\":3,\"keepalive\":20,\"conn_ack\":\"success\",\"username\":\"undefined\",\"clientid\":\"c31\",\"action\":\"client_connack\"}",
                "{\"reason\":\"normal\",\"username\":\"undefined\",\"clientid\":\"c31\",\"action\":\"client_disconnected\"}");
    }

    @Test
    void anAdministrativeDisconnectNamesItsReason() {
        final Mqtt5BlockingClient client = mqtt5("kicked");
        client.connect();
        Services.clientService().disconnectClient("kicked", false,
                com.hivemq.extension.sdk.api.packets.disconnect.DisconnectReasonCode.ADMINISTRATIVE_ACTION, "test").join();
        final List<String> bodies = receiver.awaitBodies("kicked", 2);
        assertThat(bodies.get(1)).isEqualTo("{\"reason\":\"administrative_action\",\"username\":\"undefined\","
                + "\"clientid\":\"kicked\",\"action\":\"client_disconnected\"}");
    }

    @Test
    void aTakeoverEndsTheOldConnectionWithItsReason() {
        final Mqtt5BlockingClient first = mqtt5("same");
        first.connect();
        final Mqtt5BlockingClient second = mqtt5("same");
        second.connect();
        final List<String> afterTakeover = receiver.awaitBodies("same", 3);
        assertThat(afterTakeover.stream().filter(b -> b.contains("client_disconnected")))
                .containsExactly("{\"reason\":\"session_taken_over\",\"username\":\"undefined\",\"clientid\":\"same\","
                        + "\"action\":\"client_disconnected\"}");
        second.disconnect();
        final List<String> bodies = receiver.awaitBodies("same", 4);
        assertThat(bodies.stream().filter(b -> b.contains("client_connack"))).hasSize(2);
        assertThat(bodies.stream().filter(b -> b.contains("client_disconnected"))).hasSize(2);
    }

    @Test
    void persistentSessionsGetTheirDisconnectedEventToo() {
        final Mqtt5BlockingClient client = mqtt5("persistent");
        client.connectWith().cleanStart(false).sessionExpiryInterval(3600).send();
        client.disconnect();
        final List<String> bodies = receiver.awaitBodies("persistent", 2);
        assertThat(bodies.get(1)).contains("\"reason\":\"normal\"", "client_disconnected");
    }

    @Test
    void metricsAreInHiveMqsRegistryAndMove() {
        assertThat(Services.metricRegistry().getMeters()).containsKeys("io.mqttwebhook.endpoint.default.delivered",
                "io.mqttwebhook.matched.on_message_publish");
        assertThat(Services.metricRegistry().getTimers()).containsKeys("io.mqttwebhook.endpoint.default.delivery.latency",
                "io.mqttwebhook.endpoint.default.request.duration");
        final long before = HiveMqMetrics.endpoint("default", "delivered");
        final long matchedBefore = HiveMqMetrics.value("io.mqttwebhook.matched.on_message_publish");
        final Mqtt3BlockingClient client = mqtt3("metrics");
        client.connect();
        client.publishWith().topic("a/m").payload(new byte[]{1}).send();
        client.disconnect();
        await().atMost(Duration.ofSeconds(10)).until(() -> HiveMqMetrics.endpoint("default", "delivered") >= before + 3);
        assertThat(HiveMqMetrics.value("io.mqttwebhook.matched.on_message_publish")).isEqualTo(matchedBefore + 1);
    }
}
