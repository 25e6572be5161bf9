package io.mqttwebhook.request;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import io.mqttwebhook.config.ConfigException;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.event.BodyFormat;
import io.mqttwebhook.event.ConnackEvent;
import io.mqttwebhook.event.EventBodies;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.Mqtt5Properties;
import io.mqttwebhook.event.PayloadEncoding;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.event.WebhookEvent;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestTemplateTest {

    private static final Set<EventType> PUBLISH_AND_CONNACK = EnumSet.of(EventType.MESSAGE_PUBLISH, EventType.CLIENT_CONNACK);
    private static final EventBodies PLAIN = new EventBodies(new BodyFormat(PayloadEncoding.PLAIN, false));

    private static PublishEvent publish(final String client, final String topic, final byte[] payload) {
        return new PublishEvent(client, "alice", topic, 1, false, payload, 1_700_000_000_000L);
    }

    private static RequestTemplate.Rendered render(final String method, final String path, final Map<String, String> headers,
                                                   final String body, final WebhookEvent event) throws Exception {
        return RequestTemplate.compile(method, path, headers, body, PUBLISH_AND_CONNACK)
                .render(List.of(event), "billing", PLAIN, false);
    }

    private static String body(final String template, final WebhookEvent event, final EventBodies bodies) throws Exception {
        final RequestTemplate.Rendered rendered = RequestTemplate.compile(null, null, Map.of(), template, PUBLISH_AND_CONNACK)
                .render(List.of(event), "billing", bodies, false);
        final String text = new String(rendered.body, StandardCharsets.UTF_8);
        try (JsonParser parser = new JsonFactory().createParser(text)) {
            while (parser.nextToken() != null) {
                parser.skipChildren(); // valid JSON, or this throws
            }
        }
        return text;
    }

    @Test
    void aJsonBodyTemplateWritesEachPlaceholderAsAnEscapedJsonValue() throws Exception {
        final String template = "{\"device\":${clientid},\"topic\":${topic},\"site\":${topic.2},\"data\":${payload.json},"
                + "\"qos\":${qos},\"retain\":${retain},\"at\":${ts},\"note\":\"from ${clientid} on ${topic}\","
                + "\"missing\":${topic.9},\"event\":${event},\"endpoint\":${endpoint}}";
        final PublishEvent event = publish("c\"1\\", "sites/north/temp", "{\"t\":21.5,\"ok\":[true]}".getBytes(StandardCharsets.UTF_8));
        assertThat(body(template, event, PLAIN)).isEqualTo("{\"device\":\"c\\\"1\\\\\",\"topic\":\"sites/north/temp\","
                + "\"site\":\"north\",\"data\":{\"t\":21.5,\"ok\":[true]},\"qos\":1,\"retain\":false,\"at\":1700000000000,"
                + "\"note\":\"from c\\\"1\\\\ on sites/north/temp\",\"missing\":null,\"event\":\"on_message_publish\","
                + "\"endpoint\":\"billing\"}");
    }

    @Test
    void aPayloadThatIsNotJsonIsInlinedAsItsEncodedString() throws Exception {
        final PublishEvent binary = publish("c", "t", new byte[]{0, (byte) 0xff, 'x'});
        final EventBodies base64 = new EventBodies(new BodyFormat(PayloadEncoding.BASE64, false));
        assertThat(body("{\"data\":${payload.json},\"raw\":${payload}}", binary, base64))
                .isEqualTo("{\"data\":\"AP94\",\"raw\":\"AP94\"}");
        assertThat(body("{\"data\":${payload.json}}", publish("c", "t", "not json".getBytes(StandardCharsets.UTF_8)), PLAIN))
                .isEqualTo("{\"data\":\"not json\"}");
        assertThat(body("{\"data\":${payload.json}}", publish("c", "t", "42".getBytes(StandardCharsets.UTF_8)), PLAIN))
                .isEqualTo("{\"data\":42}");
    }

    @Test
    void theWholeDefaultBodyAndFieldsTheEventDoesNotHave() throws Exception {
        final ConnackEvent connack = new ConnackEvent("c1", null, 5, 30, "success");
        assertThat(body("{\"original\":${body},\"topic\":${topic},\"who\":\"${username}\"}", connack, PLAIN))
                .isEqualTo("{\"original\":{\"proto_ver\":5,\"keepalive\":30,\"conn_ack\":\"success\",\"username\":\"undefined\","
                        + "\"clientid\":\"c1\",\"action\":\"client_connack\"},\"topic\":null,\"who\":\"undefined\"}");
    }

    @Test
    void aPathIsUrlEncodedAndAHeaderLosesItsLineBreaks() throws Exception {
        final RequestTemplate.Rendered rendered = render("put", "/devices/${clientid}/topics/${topic}?level=${topic.1}",
                Map.of("x-client", "${clientid}", "x-static", "v"), null, publish("dev\r\n1", "a b/#x/ü", new byte[0]));
        assertThat(rendered.method).isEqualTo("PUT");
        assertThat(rendered.path).isEqualTo("/devices/dev%0D%0A1/topics/a%20b%2F%23x%2F%C3%BC?level=a%20b");
        assertThat(rendered.headers).hasSize(1);
        assertThat(rendered.headers.get(0)).containsExactly("x-client", "dev  1");
        assertThat(new String(rendered.body, StandardCharsets.UTF_8)).startsWith("{\"ts\":1700000000000,");
    }

    @Test
    void userPropertiesByKeyAndTheWholePropertiesObject() throws Exception {
        final PublishEvent event = new PublishEvent("c", "u", "t", 1, false, new byte[0], 1L, Mqtt5Properties.builder()
                .userProperty("k", "first").userProperty("k", "second").contentType("application/json").build());
        assertThat(body("{\"k\":${properties.user.k},\"none\":${properties.user.nope},\"all\":${properties}}", event, PLAIN))
                .isEqualTo("{\"k\":\"first\",\"none\":null,\"all\":{\"user_properties\":[{\"key\":\"k\",\"value\":\"first\"},"
                        + "{\"key\":\"k\",\"value\":\"second\"}],\"content_type\":\"application/json\"}}");
    }

    @Test
    void aBatchIsAnArrayOfRenderedTemplatesAndALiteralDollarBraceIsEscaped() throws Exception {
        final RequestTemplate template = RequestTemplate.compile(null, null, Map.of(), "{\"c\":${clientid},\"lit\":\"$${x}\"}",
                PUBLISH_AND_CONNACK);
        final RequestTemplate.Rendered rendered = template.render(List.of(publish("a", "t", new byte[0]),
                publish("b", "t", new byte[0])), "e", PLAIN, true);
        assertThat(new String(rendered.body, StandardCharsets.UTF_8))
                .isEqualTo("[{\"c\":\"a\",\"lit\":\"${x}\"},{\"c\":\"b\",\"lit\":\"${x}\"}]");
    }

    @Test
    void problemsAreFoundAtLoadWithFileLineAndKey() {
        final String prefix = "webhook {\n  url = \"http://h/\"\n  events = [ { event = on_client_connack } ]\n";
        assertThat(error(prefix + "  body.template = \"{\\\"t\\\":${topic}}\"\n}"))
                .startsWith("webhook.body.template at t.conf:4: ${topic} is not a placeholder of these events; known: "
                        + "action, body, clientid, conn_ack, endpoint, event, keepalive, proto_ver, username");
        assertThat(error(prefix + "  body.template = \"{\\\"a\\\":${clientid}\"\n}"))
                .startsWith("webhook.body.template at t.conf:4: is not valid JSON once its placeholders are filled");
        assertThat(error(prefix + "  method = DELETE\n}"))
                .isEqualTo("webhook.method at t.conf:4: \"DELETE\" is not one of POST, PUT, PATCH");
        assertThat(error(prefix + "  path = \"x/${clientid}\"\n}")).contains("webhook.path at t.conf:4: must start with /");
        assertThat(error(prefix + "  headers.x-id = \"${clientId}\"\n}"))
                .startsWith("webhook.headers.x-id at t.conf:4: ${clientId} is not a placeholder");
        assertThat(error(prefix + "  path = \"/d/${clientid}\"\n  batch.max_events = 10\n}"))
                .contains("webhook.batch.max_events at t.conf:5: must be 1 when the path or a header names an event field");
    }

    private static String error(final String text) {
        try {
            ConfigLoader.parse(text, "t.conf");
        } catch (final ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("no error for\n" + text);
    }

    @Test
    void theCompiledTemplatesAreKeptInTheEndpointConfiguration() {
        final EndpointConfig config = ConfigLoader.parse("webhook {\n  url = \"http://h/base\"\n  method = patch\n"
                + "  path = \"/d/${clientid}\"\n  headers { x-client = \"${clientid}\", authorization = \"Bearer s\" }\n"
                + "  body.template = \"{\\\"d\\\":${payload.json}}\"\n  body.properties = true\n"
                + "  events = [ { event = on_message_publish } ]\n}", "t").config().orElseThrow().endpoints().get(0);
        assertThat(config.request().method()).isEqualTo("PATCH");
        assertThat(config.request().templatedHeaders()).containsExactly("x-client");
        assertThat(config.bodyProperties()).isTrue();
        assertThat(config.wantsProperties()).isTrue();
        assertThat(config.request().describe()).containsExactly("method PATCH",
                "path   «/d/» ${clientid URL-encoded}",
                "header x-client: ${clientid as text}",
                "body   «{\"d\":» ${payload.json as a JSON value} «}»");
    }
}
