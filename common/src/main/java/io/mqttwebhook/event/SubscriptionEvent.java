package io.mqttwebhook.event;

import com.fasterxml.jackson.core.JsonGenerator;
import org.jspecify.annotations.Nullable;

import java.io.IOException;

/**
 * One topic filter of a SUBSCRIBE or UNSUBSCRIBE: {@code on_client_subscribe} / {@code on_session_subscribed}
 * (with the QoS) and {@code on_client_unsubscribe} / {@code on_session_unsubscribed} (without).
 */
public final class SubscriptionEvent extends WebhookEvent {

    private final String topic;
    private final int qos;

    /** @param qos the requested (client) or granted (session) QoS; ignored for the unsubscribe types */
    public SubscriptionEvent(final EventType type, final @Nullable String clientId, final @Nullable String username,
                             final String topic,
                             final int qos) {
        super(type, clientId, username);
        if (!subscribes(type) && type != EventType.CLIENT_UNSUBSCRIBE && type != EventType.SESSION_UNSUBSCRIBED) {
            throw new IllegalArgumentException("not a subscription event: " + type);
        }
        this.topic = topic;
        this.qos = qos;
    }

    private static boolean subscribes(final EventType type) {
        return type == EventType.CLIENT_SUBSCRIBE || type == EventType.SESSION_SUBSCRIBED;
    }

    @Override
    public String topic() {
        return topic;
    }

    /** The requested (client) or granted (session) QoS; 0 for the unsubscribe types. */
    public int qos() {
        return qos;
    }

    @Override
    public Object field(final String name) {
        switch (name) {
            case "topic":
                return topic;
            case "qos":
                return subscribes(type()) ? qos : ABSENT;
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
        json.writeStringField("topic", topic);
        if (subscribes(type())) {
            json.writeObjectFieldStart("opts");
            json.writeNumberField("qos", qos);
            json.writeEndObject();
        }
        json.writeEndObject();
    }
}
