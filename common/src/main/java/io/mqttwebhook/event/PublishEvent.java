package io.mqttwebhook.event;

import com.fasterxml.jackson.core.JsonGenerator;
import org.jspecify.annotations.Nullable;

import java.io.IOException;

/**
 * {@code on_message_publish}: a client published a message. The payload array is owned by the event:
 * the adapter hands over its own copy and nobody changes it afterwards.
 */
public final class PublishEvent extends WebhookEvent {

    private final String topic;
    private final int qos;
    private final boolean retain;
    private final byte[] payload;
    private final long ts;
    private final Mqtt5Properties properties;

    /** @param ts epoch milliseconds when the broker received the PUBLISH */
    public PublishEvent(final @Nullable String clientId, final @Nullable String username, final String topic,
                        final int qos,
                        final boolean retain, final byte[] payload, final long ts) {
        this(clientId, username, topic, qos, retain, payload, ts, Mqtt5Properties.NONE);
    }

    /** As above, with the MQTT 5 properties of the PUBLISH. */
    public PublishEvent(final @Nullable String clientId, final @Nullable String username, final String topic,
                        final int qos,
                        final boolean retain, final byte[] payload, final long ts,
                        final @Nullable Mqtt5Properties properties) {
        super(EventType.MESSAGE_PUBLISH, clientId, username);
        this.topic = topic;
        this.qos = qos;
        this.retain = retain;
        this.payload = payload;
        this.ts = ts;
        this.properties = properties == null ? Mqtt5Properties.NONE : properties;
    }

    @Override
    public String topic() {
        return topic;
    }

    public long ts() {
        return ts;
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

    @Override
    public Mqtt5Properties properties() {
        return properties;
    }

    @Override
    public Object field(final String name) {
        switch (name) {
            case "ts":
                return ts;
            case "topic":
                return topic;
            case "retain":
                return retain;
            case "qos":
                return qos;
            case "from_username":
                return usernameOrUndefined(username());
            case "from_client_id":
                return clientId();
            case "payload":
                return payload;
            default:
                return super.field(name);
        }
    }

    @Override
    public void writeBody(final JsonGenerator json, final BodyFormat format) throws IOException {
        json.writeStartObject();
        json.writeNumberField("ts", ts);
        json.writeStringField("topic", topic);
        json.writeBooleanField("retain", retain);
        json.writeNumberField("qos", qos);
        json.writeStringField("action", type().action());
        json.writeStringField("from_username", usernameOrUndefined(username()));
        json.writeStringField("from_client_id", clientId());
        json.writeStringField("payload", format.encoding().encode(payload));
        if (format.properties()) {
            properties.write(json, format.encoding());
        }
        json.writeEndObject();
    }
}
