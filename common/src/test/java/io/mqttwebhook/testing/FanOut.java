package io.mqttwebhook.testing;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The named-endpoints scenario both brokers run: three real HTTP servers, each its own endpoint with its own
 * rules and request. {@code analytics} gets every publish as NanoMQ's body; {@code billing} gets connects and
 * disconnects as a PUT to a path per client, with a header carrying the client id and a body template;
 * {@code alerts} gets {@code alarms/#} publishes and subscriptions with a path made of topic levels (URL-encoded),
 * the payload inlined as JSON when it is JSON, and the MQTT 5 properties. The client publishes what
 * {@link #expectAll} checks.
 */
public final class FanOut implements AutoCloseable {

    public static final String JSON_PAYLOAD = "{\"level\":\"high\",\"n\":[1,2]}";
    public static final byte[] BINARY_PAYLOAD = {0, (byte) 0xff, 'A'};

    public final TestReceiver analytics;
    public final TestReceiver billing;
    public final TestReceiver alerts;

    public FanOut() throws Exception {
        analytics = TestReceiver.start();
        billing = TestReceiver.start();
        alerts = TestReceiver.start();
    }

    /** {@code properties}: the broker speaks MQTT 5 and analytics shows properties in its bodies. */
    public String configuration(final boolean properties) {
        return "webhook {\n  endpoints {\n"
                + "    analytics {\n      url = \"" + analytics.url("/events") + "\"\n"
                + (properties ? "      body.properties = true\n" : "")
                + "      events = [ { event = on_message_publish } ]\n    }\n"
                + "    billing {\n      url = \"" + billing.url("/api?tenant=t1") + "\"\n      method = PUT\n"
                + "      path = \"/clients/${clientid}/${action}\"\n"
                + "      headers { x-client = \"${clientid}\", authorization = \"Bearer s3cret\" }\n"
                + "      body.template = \"\"\"{\"client\":${clientid},\"what\":${action},\"user\":\"${username}\"}\"\"\"\n"
                + "      events = [ { event = on_client_connack }, { event = on_client_disconnected } ]\n    }\n"
                + "    alerts {\n      url = \"" + alerts.url("/alerts") + "\"\n      body.encoding = base64\n"
                + "      path = \"/${topic.2}/${topic}\"\n"
                + "      body.template = \"\"\"{\"topic\":${topic},\"level\":${topic.2},\"data\":${payload.json},"
                + "\"raw\":${payload},\"k\":${properties.user.k},\"props\":${properties}}\"\"\"\n"
                + "      events = [ { event = on_message_publish, topic = \"alarms/#\" },"
                + " { event = on_message_publish, topic = \"alarms/+\" }, { event = on_client_subscribe, topic = \"alarms/#\" } ]\n"
                + "    }\n  }\n}\n";
    }

    /** What the client does, on either broker. */
    public interface Client {
        void publish(String topic, byte[] payload, boolean withProperties);

        void subscribe(String filter);

        void disconnect();
    }

    /** The MQTT 5 properties the client puts on its JSON alarm. */
    public static final String PROPERTIES = "{\"user_properties\":[{\"key\":\"k\",\"value\":\"1\"},{\"key\":\"k\",\"value\":\"2\"},"
            + "{\"key\":\"x\",\"value\":\"y\"}],\"content_type\":\"application/json\",\"response_topic\":\"replies/1\","
            + "\"correlation_data\":\"" + "%s" + "\",\"message_expiry_interval\":60,\"payload_format_indicator\":1}";
    public static final byte[] CORRELATION = {1, 2, 3};

    /** Runs the scenario with a connected client {@code id}. */
    public static void drive(final Client client) {
        client.publish("sensors/t1", "{\"t\":21}".getBytes(StandardCharsets.UTF_8), false);
        client.publish("alarms/fire room", JSON_PAYLOAD.getBytes(StandardCharsets.UTF_8), true);
        client.publish("alarms/bin", BINARY_PAYLOAD, false);
        client.subscribe("alarms/a b/#");
        client.disconnect();
    }

    /** Checks every endpoint got exactly its requests, as configured. */
    public void expectAll(final String id, final boolean properties) {
        await().until(() -> analytics.count() == 3 && billing.count() == 2 && alerts.count() == 3);

        // analytics: every publish, NanoMQ's bodies (plus properties on MQTT 5), POST to its url
        assertThat(analytics.requests()).allSatisfy(r -> {
            assertThat(r.method).isEqualTo("POST");
            assertThat(r.target).isEqualTo("/events");
        });
        final List<String> analyticsBodies = analytics.requests().stream().map(TestReceiver.Request::body)
                .collect(Collectors.toList());
        final String nanomq = "\"action\":\"message_publish\",\"from_username\":\"undefined\",\"from_client_id\":\"" + id + "\"";
        assertThat(analyticsBodies).anyMatch(b -> b.contains("\"topic\":\"sensors/t1\"") && b.contains(nanomq)
                && b.contains("\"payload\":\"{\\\"t\\\":21}\""));
        // plain encoding keeps the body valid JSON whatever the bytes: NUL escaped, a malformed byte as U+FFFD
        assertThat(analyticsBodies).anyMatch(b -> b.contains("\"topic\":\"alarms/bin\"")
                && b.contains("\"payload\":\"\\u0000\uFFFDA\""));
        final String correlation = properties ? Base64.getEncoder().encodeToString(CORRELATION) : null;
        if (properties) {
            // user properties in order, the key k twice; correlation data in the endpoint's encoding (plain here)
            assertThat(analyticsBodies).anyMatch(b -> b.endsWith("\"payload\":\"" + JSON_PAYLOAD.replace("\"", "\\\"")
                    + "\",\"properties\":" + String.format(PROPERTIES, "\\u0001\\u0002\\u0003") + "}"));
        } else {
            assertThat(analyticsBodies).noneMatch(b -> b.contains("properties"));
        }

        // billing: connack and disconnected only, a PUT per client, the header and the template
        assertThat(billing.requests()).extracting(r -> r.method + " " + r.target).containsExactlyInAnyOrder(
                "PUT /api/clients/" + id + "/client_connack?tenant=t1",
                "PUT /api/clients/" + id + "/client_disconnected?tenant=t1");
        assertThat(billing.requests()).allSatisfy(r -> {
            assertThat(r.header("x-client")).isEqualTo(id);
            assertThat(r.header("authorization")).isEqualTo("Bearer s3cret");
            assertThat(r.header("content-type")).isEqualTo("application/json");
            assertThat(r.body()).matches("\\{\"client\":\"" + id + "\",\"what\":\"client_(connack|disconnected)\","
                    + "\"user\":\"undefined\"}");
        });

        // alerts: once per event however many of its rules match; levels and topics URL-encoded in the path
        assertThat(alerts.requests()).extracting(r -> r.target).containsExactlyInAnyOrder(
                "/alerts/fire%20room/alarms%2Ffire%20room", "/alerts/bin/alarms%2Fbin",
                "/alerts/a%20b/alarms%2Fa%20b%2F%23");
        final String noProperties = "{\"user_properties\":[]}";
        assertThat(alerts.requests()).extracting(TestReceiver.Request::body).containsExactlyInAnyOrder(
                "{\"topic\":\"alarms/fire room\",\"level\":\"fire room\",\"data\":" + JSON_PAYLOAD + ",\"raw\":\""
                        + Base64.getEncoder().encodeToString(JSON_PAYLOAD.getBytes(StandardCharsets.UTF_8)) + "\","
                        + (properties ? "\"k\":\"1\",\"props\":" + String.format(PROPERTIES, correlation)
                        : "\"k\":null,\"props\":" + noProperties) + "}",
                "{\"topic\":\"alarms/bin\",\"level\":\"bin\",\"data\":\"AP9B\",\"raw\":\"AP9B\",\"k\":null,\"props\":"
                        + noProperties + "}",
                "{\"topic\":\"alarms/a b/#\",\"level\":\"a b\",\"data\":null,\"raw\":null,\"k\":null,\"props\":null}");
    }

    @Override
    public void close() {
        analytics.close();
        billing.close();
        alerts.close();
    }
}
