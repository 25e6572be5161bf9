package io.mqttwebhook.event;

import com.fasterxml.jackson.core.JsonGenerator;

import java.io.IOException;

/**
 * {@code on_client_connect} (a CONNECT arrived) and {@code on_client_connected} (the client is connected),
 * with EMQX's field names.
 */
public final class ConnectEvent extends WebhookEvent {

    private final String ipAddress;
    private final int keepalive;
    private final int protoVer;
    private final long ts;

    /**
     * @param type {@link EventType#CLIENT_CONNECT} or {@link EventType#CLIENT_CONNECTED}
     * @param ts   epoch milliseconds: {@code ts} of the CONNECT, or {@code connected_at}
     */
    public ConnectEvent(final EventType type, final String clientId, final String username, final String ipAddress,
                        final int keepalive, final int protoVer, final long ts) {
        super(type, clientId, username);
        if (type != EventType.CLIENT_CONNECT && type != EventType.CLIENT_CONNECTED) {
            throw new IllegalArgumentException("not a connect event: " + type);
        }
        this.ipAddress = ipAddress == null ? "" : ipAddress;
        this.keepalive = keepalive;
        this.protoVer = protoVer;
        this.ts = ts;
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
    public void writeBody(final JsonGenerator json, final PayloadEncoding encoding) throws IOException {
        json.writeStartObject();
        json.writeStringField("action", type().action());
        json.writeStringField("clientid", clientId());
        json.writeStringField("username", usernameOrUndefined(username()));
        json.writeStringField("ipaddress", ipAddress);
        json.writeNumberField("keepalive", keepalive);
        json.writeNumberField("proto_ver", protoVer);
        json.writeNumberField(type() == EventType.CLIENT_CONNECT ? "ts" : "connected_at", ts);
        json.writeEndObject();
    }
}
