package io.mqttwebhook.event;

import com.fasterxml.jackson.core.JsonGenerator;
import org.jspecify.annotations.Nullable;

import java.io.IOException;

/** {@code on_client_connack}: the broker answered a CONNECT, with success or the reason of a refusal. */
public final class ConnackEvent extends WebhookEvent {

    private final int protoVer;
    private final int keepalive;
    private final String connAck;

    /**
     * @param protoVer  3 (MQTT 3.1), 4 (3.1.1) or 5
     * @param keepalive what the client asked for in CONNECT
     * @param connAck   {@code "success"} or a reason name from {@link ReasonNames}
     */
    public ConnackEvent(final @Nullable String clientId, final @Nullable String username, final int protoVer,
                        final int keepalive,
                        final String connAck) {
        super(EventType.CLIENT_CONNACK, clientId, username);
        this.protoVer = protoVer;
        this.keepalive = keepalive;
        this.connAck = connAck;
    }

    public String connAck() {
        return connAck;
    }

    public int protoVer() {
        return protoVer;
    }

    public int keepalive() {
        return keepalive;
    }

    @Override
    public Object field(final String name) {
        switch (name) {
            case "proto_ver":
                return protoVer;
            case "keepalive":
                return keepalive;
            case "conn_ack":
                return connAck;
            default:
                return super.field(name);
        }
    }

    @Override
    public void writeBody(final JsonGenerator json, final BodyFormat format) throws IOException {
        json.writeStartObject();
        json.writeNumberField("proto_ver", protoVer);
        json.writeNumberField("keepalive", keepalive);
        json.writeStringField("conn_ack", connAck);
        json.writeStringField("username", usernameOrUndefined(username()));
        json.writeStringField("clientid", clientId());
        json.writeStringField("action", type().action());
        json.writeEndObject();
    }
}
