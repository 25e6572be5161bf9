package io.mqttwebhook.request;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.mqttwebhook.event.BodyFormat;
import io.mqttwebhook.event.EventBodies;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.Mqtt5Properties;
import io.mqttwebhook.event.WebhookEvent;
import org.jspecify.annotations.Nullable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * The names a template may use, and their values for one event. Every key of the event's body is a name
 * ({@code ${clientid}}, {@code ${topic}}, {@code ${payload}} in the endpoint's encoding, ...; every event also
 * has {@code action}, {@code clientid} and {@code username}), plus:
 * <ul>
 *   <li>{@code ${body}}: the whole default body (a JSON object);</li>
 *   <li>{@code ${payload.json}}: the payload itself when it is valid JSON, else the encoded string, as
 *       {@code ${payload}};</li>
 *   <li>{@code ${topic.1}}, {@code ${topic.2}}, ...: the topic's levels (empty when it has fewer);</li>
 *   <li>{@code ${event}} ({@code on_message_publish}), {@code ${endpoint}} (its name);</li>
 *   <li>{@code ${properties}} (the MQTT 5 properties object), {@code ${properties.content_type}},
 *       {@code .response_topic}, {@code .correlation_data}, {@code .message_expiry_interval},
 *       {@code .payload_format_indicator}, {@code ${properties.user.<key>}} (the first value of a user
 *       property).</li>
 * </ul>
 * A name the endpoint's events do not know is a configuration error; one that only some of them have is
 * empty (a JSON {@code null}) for the others.
 */
public final class Placeholders {

    private static final List<String> COMMON = List.of("action", "clientid", "username");
    private static final Map<EventType, List<String>> FIELDS = new EnumMap<>(EventType.class);
    private static final Set<EventType> WITH_PROPERTIES = EnumSet.of(EventType.MESSAGE_PUBLISH,
            EventType.MESSAGE_DELIVERED, EventType.MESSAGE_ACKED, EventType.CLIENT_CONNECT, EventType.CLIENT_CONNECTED);
    private static final List<String> PROPERTIES = List.of("properties", "properties.content_type",
            "properties.response_topic", "properties.correlation_data", "properties.message_expiry_interval",
            "properties.payload_format_indicator");
    private static final List<String> ANY = List.of("body", "event", "endpoint");
    private static final Pattern TOPIC_LEVEL = Pattern.compile("topic\\.[1-9][0-9]{0,2}");
    private static final Pattern USER_PROPERTY = Pattern.compile("properties\\.user\\..+");
    private static final JsonFactory JSON = new JsonFactory();

    static {
        FIELDS.put(EventType.CLIENT_CONNACK, List.of("proto_ver", "keepalive", "conn_ack"));
        FIELDS.put(EventType.CLIENT_CONNECT, List.of("ipaddress", "keepalive", "proto_ver", "ts"));
        FIELDS.put(EventType.CLIENT_CONNECTED, List.of("ipaddress", "keepalive", "proto_ver", "connected_at"));
        FIELDS.put(EventType.CLIENT_DISCONNECTED, List.of("reason"));
        FIELDS.put(EventType.CLIENT_SUBSCRIBE, List.of("topic", "qos"));
        FIELDS.put(EventType.SESSION_SUBSCRIBED, List.of("topic", "qos"));
        FIELDS.put(EventType.CLIENT_UNSUBSCRIBE, List.of("topic"));
        FIELDS.put(EventType.SESSION_UNSUBSCRIBED, List.of("topic"));
        FIELDS.put(EventType.SESSION_TERMINATED, List.of("reason"));
        FIELDS.put(EventType.MESSAGE_PUBLISH, List.of("ts", "topic", "retain", "qos", "from_username",
                "from_client_id", "payload", "payload.json"));
        FIELDS.put(EventType.MESSAGE_DELIVERED, List.of("from_client_id", "from_username", "topic", "qos", "retain",
                "payload", "payload.json", "ts"));
        FIELDS.put(EventType.MESSAGE_ACKED, FIELDS.get(EventType.MESSAGE_DELIVERED));
    }

    private Placeholders() {
    }

    /** The names templates of an endpoint whose rules name these event types may use. */
    public static Set<String> known(final Set<EventType> types) {
        final Set<String> names = new TreeSet<>(COMMON);
        names.addAll(ANY);
        for (final EventType type : types) {
            names.addAll(FIELDS.get(type));
            if (WITH_PROPERTIES.contains(type)) {
                names.addAll(PROPERTIES);
            }
        }
        return names;
    }

    static boolean isKnown(final String name, final Set<String> known) {
        return known.contains(name)
                || (known.contains("topic") && TOPIC_LEVEL.matcher(name).matches())
                || (known.contains("properties") && USER_PROPERTY.matcher(name).matches());
    }

    /** The known names as an error message lists them. */
    static List<String> listed(final Set<String> known) {
        final List<String> names = new ArrayList<>(known);
        if (known.contains("topic")) {
            names.add("topic.1, topic.2, ...");
        }
        if (known.contains("properties")) {
            names.add("properties.user.<key>");
        }
        return names;
    }

    /** Percent-encodes text for a URL path or query: everything but A-Z a-z 0-9 - . _ ~ (so {@code /} too). */
    static String urlEncode(final String text) {
        final StringBuilder out = new StringBuilder(text.length() + 16);
        for (final byte b : text.getBytes(StandardCharsets.UTF_8)) {
            final int c = b & 0xff;
            if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /** A value as text (paths, headers, inside JSON strings) and as a JSON value. */
    public interface Value {
        String text();

        void appendJson(StringBuilder out);
    }

    /** Gives a placeholder's value for one event. */
    public interface Values {
        Value value(String name);
    }

    private static final Value ABSENT = new Value() {
        @Override
        public String text() {
            return "";
        }

        @Override
        public void appendJson(final StringBuilder out) {
            out.append("null");
        }
    };

    private static Value text(final String text) {
        return new Value() {
            @Override
            public String text() {
                return text;
            }

            @Override
            public void appendJson(final StringBuilder out) {
                out.append('"').append(JsonStringEncoder.getInstance().quoteAsString(text)).append('"');
            }
        };
    }

    /** A number or boolean: its text, unquoted in JSON. */
    private static Value literal(final String text) {
        return new Value() {
            @Override
            public String text() {
                return text;
            }

            @Override
            public void appendJson(final StringBuilder out) {
                out.append(text);
            }
        };
    }

    /** A JSON value: as is in JSON, its JSON text elsewhere. */
    private static Value json(final String json) {
        return literal(json);
    }

    /** The values of {@code event} for the endpoint {@code endpoint} writing bodies with {@code bodies}. */
    public static Values of(final WebhookEvent event, final String endpoint, final EventBodies bodies) {
        final BodyFormat format = bodies.format();
        return name -> {
            switch (name) {
                case "body":
                    return json(new String(bodies.single(event), StandardCharsets.UTF_8));
                case "event":
                    return text(event.type().configName());
                case "endpoint":
                    return text(endpoint);
                case "payload.json":
                    final Object payload = event.field("payload");
                    if (!(payload instanceof byte[])) {
                        return ABSENT;
                    }
                    final byte[] bytes = (byte[]) payload;
                    return Template.isJson(bytes) ? json(new String(bytes, StandardCharsets.UTF_8))
                            : text(format.encoding().encode(bytes));
                default:
                    break;
            }
            if (name.startsWith("topic.")) {
                return topicLevel(event.topic(), Integer.parseInt(name.substring("topic.".length())));
            }
            if (name.startsWith("properties")) {
                return WITH_PROPERTIES.contains(event.type()) ? property(event.properties(), name, format) : ABSENT;
            }
            return value(event.field(name), format);
        };
    }

    private static Value topicLevel(final @Nullable String topic, final int level) {
        if (topic == null) {
            return ABSENT;
        }
        final String[] levels = topic.split("/", -1);
        return level <= levels.length ? text(levels[level - 1]) : ABSENT;
    }

    private static Value property(final Mqtt5Properties properties, final String name, final BodyFormat format) {
        switch (name) {
            case "properties":
                return json(propertiesJson(properties, format));
            case "properties.content_type":
                return properties.contentType() == null ? ABSENT : text(properties.contentType());
            case "properties.response_topic":
                return properties.responseTopic() == null ? ABSENT : text(properties.responseTopic());
            case "properties.correlation_data":
                return properties.correlationData() == null ? ABSENT
                        : text(format.encoding().encode(properties.correlationData()));
            case "properties.message_expiry_interval":
                return properties.messageExpiryInterval() == null ? ABSENT
                        : literal(properties.messageExpiryInterval().toString());
            case "properties.payload_format_indicator":
                return properties.payloadFormatIndicator() == null ? ABSENT
                        : literal(properties.payloadFormatIndicator().toString());
            default:
                final String user = properties.userProperty(name.substring("properties.user.".length()));
                return user == null ? ABSENT : text(user);
        }
    }

    /** The properties object as the body writes it (without its key). */
    private static String propertiesJson(final Mqtt5Properties properties, final BodyFormat format) {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
        try (JsonGenerator json = JSON.createGenerator(bytes, JsonEncoding.UTF8)) {
            json.writeStartObject();
            properties.write(json, format.encoding());
            json.writeEndObject();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        final String wrapped = new String(bytes.toByteArray(), StandardCharsets.UTF_8);
        // {"properties":{...}} -> {...}
        return wrapped.substring("{\"properties\":".length(), wrapped.length() - 1);
    }

    private static Value value(final @Nullable Object field, final BodyFormat format) {
        if (field == WebhookEvent.ABSENT || field == null) {
            return ABSENT;
        }
        if (field instanceof byte[]) {
            return text(format.encoding().encode((byte[]) field));
        }
        if (field instanceof Number || field instanceof Boolean) {
            return literal(field.toString());
        }
        return text(field.toString());
    }
}
