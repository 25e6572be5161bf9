package io.mqttwebhook.testing;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * MQTT packets written by hand, for what a client library will not do: an MQTT 3.1 CONNECT, pipelined
 * packets, a socket dropped without DISCONNECT.
 */
public final class RawMqtt {

    /** CONNACK accepted, MQTT 3.x. */
    public static final byte[] CONNACK_ACCEPTED = {0x20, 2, 0, 0};
    public static final byte[] DISCONNECT = {(byte) 0xE0, 0};

    private RawMqtt() {
    }

    /** A clean-session CONNECT without credentials: level 3 is MQTT 3.1 ("MQIsdp"), 4 is MQTT 3.1.1. */
    public static byte[] connect(final String clientId, final int level, final int keepalive) {
        final byte[] name = (level == 3 ? "MQIsdp" : "MQTT").getBytes(StandardCharsets.US_ASCII);
        final byte[] id = clientId.getBytes(StandardCharsets.UTF_8);
        final ByteArrayOutputStream variable = new ByteArrayOutputStream();
        variable.write(0);
        variable.write(name.length);
        variable.writeBytes(name);
        variable.write(level);
        variable.write(0x02);
        variable.write(keepalive >> 8);
        variable.write(keepalive & 0xff);
        variable.write(id.length >> 8);
        variable.write(id.length & 0xff);
        variable.writeBytes(id);
        return packet(0x10, variable.toByteArray());
    }

    /** A QoS 0 PUBLISH. */
    public static byte[] publishQos0(final String topic, final boolean retain, final byte[] payload) {
        final byte[] name = topic.getBytes(StandardCharsets.UTF_8);
        final ByteArrayOutputStream variable = new ByteArrayOutputStream();
        variable.write(name.length >> 8);
        variable.write(name.length & 0xff);
        variable.writeBytes(name);
        variable.writeBytes(payload);
        return packet(retain ? 0x31 : 0x30, variable.toByteArray());
    }

    private static byte[] packet(final int header, final byte[] rest) {
        if (rest.length > 127) {
            throw new IllegalArgumentException("short packets only");
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header);
        out.write(rest.length);
        out.writeBytes(rest);
        return out.toByteArray();
    }
}
