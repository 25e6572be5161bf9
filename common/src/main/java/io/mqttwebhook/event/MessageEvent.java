package io.mqttwebhook.event;

import com.fasterxml.jackson.core.JsonGenerator;
import org.jspecify.annotations.Nullable;

import java.io.IOException;

/**
 * {@code on_message_delivered} (the broker sent a message to a subscriber) and {@code on_message_acked}
 * (the subscriber acknowledged it). {@code clientId}/{@code username} are the subscriber's, the
 * {@code from} fields the publisher's.
 */
public final class MessageEvent extends WebhookEvent {

    private final String fromClientId;
    private final @Nullable String fromUsername;
    private final String topic;
    private final int qos;
    private final boolean retain;
    private final byte[] payload;
    private final long ts;
    private final Mqtt5Properties properties;

    public MessageEvent(final EventType type, final @Nullable String clientId, final @Nullable String username,
                        final @Nullable String fromClientId,
                        final @Nullable String fromUsername, final String topic, final int qos, final boolean retain,
                        final byte @Nullable [] payload, final long ts) {
        this(type, clientId, username, fromClientId, fromUsername, topic, qos, retain, payload, ts, Mqtt5Properties.NONE);
    }

    /** As above, with the MQTT 5 properties of the PUBLISH sent to the subscriber. */
    public MessageEvent(final EventType type, final @Nullable String clientId, final @Nullable String username,
                        final @Nullable String fromClientId,
                        final @Nullable String fromUsername, final String topic, final int qos, final boolean retain,
                        final byte @Nullable [] payload, final long ts, final @Nullable Mqtt5Properties properties) {
        super(type, clientId, username);
        if (type != EventType.MESSAGE_DELIVERED && type != EventType.MESSAGE_ACKED) {
            throw new IllegalArgumentException("not a message event: " + type);
        }
        this.fromClientId = fromClientId == null ? "" : fromClientId;
        this.fromUsername = fromUsername;
        this.topic = topic;
        this.qos = qos;
        this.retain = retain;
        this.payload = payload == null ? new byte[0] : payload;
        this.ts = ts;
        this.properties = properties == null ? Mqtt5Properties.NONE : properties;
    }

    @Override
    public String topic() {
        return topic;
    }

    public String fromClientId() {
        return fromClientId;
    }

    /** The publisher's username, or null. */
    public @Nullable String fromUsername() {
        return fromUsername;
    }

    public int qos() {
        return qos;
    }

    public boolean retain() {
        return retain;
    }

    /** The payload bytes, owned by the event: never change them. */
    public byte[] payload() {
        return payload;
    }

    public long ts() {
        return ts;
    }

    @Override
    public Mqtt5Properties properties() {
        return properties;
    }

    @Override
    public Object field(final String name) {
        switch (name) {
            case "from_client_id":
                return fromClientId;
            case "from_username":
                return usernameOrUndefined(fromUsername);
            case "topic":
                return topic;
            case "qos":
                return qos;
            case "retain":
                return retain;
            case "payload":
                return payload;
            case "ts":
                return ts;
            default:
                return super.field(name);
        }
    }

    @Override
    public void writeBody(final JsonGenerator json, final BodyFormat format) throws IOException {
        json.writeStartObject();
        json.writeStringField("action", type().action());
        json.writeStringField("clientid", clientId());
        json.writeStringField("username", usernameOrUndefined(username()));
        json.writeStringField("from_client_id", fromClientId);
        json.writeStringField("from_username", usernameOrUndefined(fromUsername));
        json.writeStringField("topic", topic);
        json.writeNumberField("qos", qos);
        json.writeBooleanField("retain", retain);
        json.writeStringField("payload", format.encoding().encode(payload));
        json.writeNumberField("ts", ts);
        if (format.properties()) {
            properties.write(json, format.encoding());
        }
        json.writeEndObject();
    }
}
