package io.mqttwebhook.event;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class EventBodiesTest {

    private static final EventBodies PLAIN = new EventBodies(PayloadEncoding.PLAIN);
    private static final byte[] HELLO = "hello".getBytes(StandardCharsets.UTF_8);

    private static String body(final EventBodies bodies, final WebhookEvent event) {
        return new String(bodies.single(event), StandardCharsets.UTF_8);
    }

    @Test
    void seedEventsAreNanoMqBodiesKeyForKey() {
        assertThat(body(PLAIN, new ConnackEvent("c1", "alice", 4, 60, ReasonNames.SUCCESS))).isEqualTo(
                "{\"proto_ver\":4,\"keepalive\":60,\"conn_ack\":\"success\",\"username\":\"alice\",\"clientid\":\"c1\",\"action\":\"client_connack\"}");
        assertThat(body(PLAIN, new DisconnectedEvent("c1", "alice", ReasonNames.NORMAL))).isEqualTo(
                "{\"reason\":\"normal\",\"username\":\"alice\",\"clientid\":\"c1\",\"action\":\"client_disconnected\"}");
        assertThat(body(PLAIN, new PublishEvent("c1", "alice", "a/b/c", 1, false, HELLO, 1700000000000L))).isEqualTo(
                "{\"ts\":1700000000000,\"topic\":\"a/b/c\",\"retain\":false,\"qos\":1,\"action\":\"message_publish\",\"from_username\":\"alice\",\"from_client_id\":\"c1\",\"payload\":\"hello\"}");
    }

    @Test
    void publishPayloadInEachEncoding() {
        final PublishEvent event = new PublishEvent("c1", null, "t", 0, true, HELLO, 1L);
        assertThat(body(new EventBodies(PayloadEncoding.BASE64), event)).endsWith(
                "\"retain\":true,\"qos\":0,\"action\":\"message_publish\",\"from_username\":\"undefined\",\"from_client_id\":\"c1\",\"payload\":\"aGVsbG8=\"}");
        assertThat(body(new EventBodies(PayloadEncoding.BASE62), event)).endsWith("\"payload\":\"7tQLFHz\"}");
    }

    @Test
    void extendedEventsFollowEmqxFieldNames() {
        assertThat(body(PLAIN, new ConnectEvent(EventType.CLIENT_CONNECT, "c1", "u", "127.0.0.1", 60, 4, 5L))).isEqualTo(
                "{\"action\":\"client_connect\",\"clientid\":\"c1\",\"username\":\"u\",\"ipaddress\":\"127.0.0.1\",\"keepalive\":60,\"proto_ver\":4,\"ts\":5}");
        assertThat(body(PLAIN, new ConnectEvent(EventType.CLIENT_CONNECTED, "c1", "", "127.0.0.1", 60, 5, 6L))).isEqualTo(
                "{\"action\":\"client_connected\",\"clientid\":\"c1\",\"username\":\"undefined\",\"ipaddress\":\"127.0.0.1\",\"keepalive\":60,\"proto_ver\":5,\"connected_at\":6}");
        assertThat(body(PLAIN, new SubscriptionEvent(EventType.CLIENT_SUBSCRIBE, "c1", "u", "a/#", 1))).isEqualTo(
                "{\"action\":\"client_subscribe\",\"clientid\":\"c1\",\"username\":\"u\",\"topic\":\"a/#\",\"opts\":{\"qos\":1}}");
        assertThat(body(PLAIN, new SubscriptionEvent(EventType.SESSION_SUBSCRIBED, "c1", "u", "a/#", 2))).isEqualTo(
                "{\"action\":\"session_subscribed\",\"clientid\":\"c1\",\"username\":\"u\",\"topic\":\"a/#\",\"opts\":{\"qos\":2}}");
        assertThat(body(PLAIN, new SubscriptionEvent(EventType.CLIENT_UNSUBSCRIBE, "c1", "u", "a/#", 0))).isEqualTo(
                "{\"action\":\"client_unsubscribe\",\"clientid\":\"c1\",\"username\":\"u\",\"topic\":\"a/#\"}");
        assertThat(body(PLAIN, new SubscriptionEvent(EventType.SESSION_UNSUBSCRIBED, "c1", "u", "a/#", 0))).isEqualTo(
                "{\"action\":\"session_unsubscribed\",\"clientid\":\"c1\",\"username\":\"u\",\"topic\":\"a/#\"}");
        assertThat(body(PLAIN, new SessionTerminatedEvent("c1", "u", "session_taken_over"))).isEqualTo(
                "{\"action\":\"session_terminated\",\"clientid\":\"c1\",\"username\":\"u\",\"reason\":\"session_taken_over\"}");
        assertThat(body(PLAIN, new MessageEvent(EventType.MESSAGE_DELIVERED, "sub", "s", "pub", null, "a/b", 1, false, HELLO, 7L))).isEqualTo(
                "{\"action\":\"message_delivered\",\"clientid\":\"sub\",\"username\":\"s\",\"from_client_id\":\"pub\",\"from_username\":\"undefined\",\"topic\":\"a/b\",\"qos\":1,\"retain\":false,\"payload\":\"hello\",\"ts\":7}");
        assertThat(body(PLAIN, new MessageEvent(EventType.MESSAGE_ACKED, "sub", "s", "pub", "p", "a/b", 2, true, new byte[0], 8L))).isEqualTo(
                "{\"action\":\"message_acked\",\"clientid\":\"sub\",\"username\":\"s\",\"from_client_id\":\"pub\",\"from_username\":\"p\",\"topic\":\"a/b\",\"qos\":2,\"retain\":true,\"payload\":\"\",\"ts\":8}");
    }

    @Test
    void hostileInputAlwaysGivesValidJson() throws IOException {
        final String hostile = "q\"b\\s\u0000\u0001\n\t\u007f é 中 😀 \ud800 end";
        final byte[] payload = {'"', '\\', 0, 1, (byte) 0xc3, (byte) 0x28, (byte) 0xff, (byte) 0xf0, (byte) 0x9f, 'x', 0};
        for (final PayloadEncoding encoding : PayloadEncoding.values()) {
            final byte[] json = new EventBodies(encoding).single(
                    new PublishEvent(hostile, hostile, hostile, 2, false, payload, 1L));
            final List<String> strings = strings(json);
            // topic, from_username and from_client_id come back exactly as given
            assertThat(strings).filteredOn(hostile::equals).hasSize(3);
            if (encoding == PayloadEncoding.PLAIN) {
                assertThat(strings).contains("\"\\\u0000\u0001\uFFFD(\uFFFD\uFFFDx\u0000");
            }
        }
    }

    @Test
    void oneMebibytePayloadIsWrittenWhole() throws IOException {
        final byte[] payload = new byte[1024 * 1024];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) i;
        }
        for (final PayloadEncoding encoding : new PayloadEncoding[]{PayloadEncoding.PLAIN, PayloadEncoding.BASE64}) {
            final byte[] json = new EventBodies(encoding).single(new PublishEvent("c", "u", "t", 1, false, payload, 1L));
            final List<String> strings = strings(json);
            assertThat(strings.get(strings.size() - 1)).isEqualTo(encoding.encode(payload));
        }
    }

    @Test
    void batchIsAnArrayOfBodies() {
        final byte[] json = PLAIN.batch(List.of(new DisconnectedEvent("a", null, "normal"),
                new DisconnectedEvent("b", "u", "connection_lost")));
        assertThat(new String(json, StandardCharsets.UTF_8)).isEqualTo(
                "[{\"reason\":\"normal\",\"username\":\"undefined\",\"clientid\":\"a\",\"action\":\"client_disconnected\"},"
                        + "{\"reason\":\"connection_lost\",\"username\":\"u\",\"clientid\":\"b\",\"action\":\"client_disconnected\"}]");
    }

    @Test
    void reasonNamesFollowTheContract() {
        assertThat(ReasonNames.connack(0x86)).isEqualTo("bad_username_or_password");
        assertThat(ReasonNames.connack(0x9F)).isEqualTo("connection_rate_exceeded");
        assertThat(ReasonNames.connackMqtt3(1)).isEqualTo("unsupported_protocol_version");
        assertThat(ReasonNames.connackMqtt3(2)).isEqualTo("client_identifier_not_valid");
        assertThat(ReasonNames.connackMqtt3(3)).isEqualTo("server_unavailable");
        assertThat(ReasonNames.connackMqtt3(4)).isEqualTo("bad_username_or_password");
        assertThat(ReasonNames.connackMqtt3(5)).isEqualTo("not_authorized");
        assertThat(ReasonNames.disconnect(0)).isEqualTo("normal");
        assertThat(ReasonNames.disconnect(4)).isEqualTo("disconnect_with_will_message");
        assertThat(ReasonNames.disconnect(0x8E)).isEqualTo("session_taken_over");
        assertThat(ReasonNames.disconnect(0x8D)).isEqualTo("keep_alive_timeout");
        assertThat(ReasonNames.disconnect(0x42)).isEqualTo("unspecified_error");
        assertThat(ReasonNames.fromConstant("BAD_USER_NAME_OR_PASSWORD")).isEqualTo("bad_username_or_password");
        assertThat(ReasonNames.fromConstant("NORMAL_DISCONNECTION")).isEqualTo("normal");
        assertThat(ReasonNames.fromConstant("SESSION_TAKEN_OVER")).isEqualTo("session_taken_over");
    }

    /** Parses the JSON strictly and returns every string value in order. */
    private static List<String> strings(final byte[] json) throws IOException {
        final List<String> values = new java.util.ArrayList<>();
        try (JsonParser parser = new JsonFactory().createParser(json)) {
            JsonToken token;
            while ((token = parser.nextToken()) != null) {
                if (token == JsonToken.VALUE_STRING) {
                    values.add(parser.getText());
                }
            }
        }
        return values;
    }
}
