package io.mqttwebhook.event;

import com.fasterxml.jackson.core.JsonGenerator;
import org.jspecify.annotations.Nullable;

import java.io.IOException;

/**
 * {@code on_client_connect} (a CONNECT arrived) and {@code on_client_connected} (the client is connected),
 * with EMQX's field names; with MQTT 5 and {@code body.properties}, the CONNECT's user properties.
 */
public final class ConnectEvent extends WebhookEvent {

    private final String ipAddress;
    private final int keepalive;
    private final int protoVer;
    private final long ts;
    private final Mqtt5Properties properties;

    /**
     * @param type {@link EventType#CLIENT_CONNECT} or {@link EventType#CLIENT_CONNECTED}
     * @param ts   epoch milliseconds: {@code ts} of the CONNECT, or {@code connected_at}
     */
    public ConnectEvent(final EventType type, final @Nullable String clientId, final @Nullable String username,
                        final @Nullable String ipAddress,
                        final int keepalive, final int protoVer, final long ts) {
        this(type, clientId, username, ipAddress, keepalive, protoVer, ts, Mqtt5Properties.NONE);
    }

    /** As above, with the user properties of an MQTT 5 CONNECT. */
    public ConnectEvent(final EventType type, final @Nullable String clientId, final @Nullable String username,
                        final @Nullable String ipAddress,
                        final int keepalive, final int protoVer, final long ts,
                        final @Nullable Mqtt5Properties properties) {
        super(type, clientId, username);
        if (type != EventType.CLIENT_CONNECT && type != EventType.CLIENT_CONNECTED) {
            throw new IllegalArgumentException("not a connect event: " + type);
        }
        this.ipAddress = ipAddress == null ? "" : ipAddress;
        this.keepalive = keepalive;
        this.protoVer = protoVer;
        this.ts = ts;
        this.properties = properties == null ? Mqtt5Properties.NONE : properties;
    }

    public String ipAddress() {
        return ipAddress;
    }

    public int keepalive() {
        return keepalive;
    }

    public int protoVer() {
        return protoVer;
    }

    /** {@code ts} of the CONNECT, or {@code connected_at}. */
    public long ts() {
        return ts;
    }

    @Override
    public Mqtt5Properties properties() {
        return properties;
    }

    private String timeKey() {
        return type() == EventType.CLIENT_CONNECT ? "ts" : "connected_at";
    }

    @Override
    public Object field(final String name) {
        switch (name) {
            case "ipaddress":
                return ipAddress;
            case "keepalive":
                return keepalive;
            case "proto_ver":
                return protoVer;
            default:
                return name.equals(timeKey()) ? ts : super.field(name);
        }
    }

    @Override
    public void writeBody(final JsonGenerator json, final BodyFormat format) throws IOException {
        json.writeStartObject();
        json.writeStringField("action", type().action());
        json.writeStringField("clientid", clientId());
        json.writeStringField("username", usernameOrUndefined(username()));
        json.writeStringField("ipaddress", ipAddress);
        json.writeNumberField("keepalive", keepalive);
        json.writeNumberField("proto_ver", protoVer);
        json.writeNumberField(timeKey(), ts);
        if (format.properties()) {
            properties.write(json, format.encoding());
        }
        json.writeEndObject();
    }
}
