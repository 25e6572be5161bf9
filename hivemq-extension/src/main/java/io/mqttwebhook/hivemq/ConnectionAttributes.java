package io.mqttwebhook.hivemq;

import com.hivemq.extension.sdk.api.client.parameter.ConnectionAttributeStore;
import com.hivemq.extension.sdk.api.packets.general.MqttVersion;
import io.mqttwebhook.event.Mqtt5Properties;

import java.util.Optional;

/**
 * What CONNECT said and CONNACK answered, kept in HiveMQ's per-connection attribute store: the CONNACK
 * interceptor and the lifecycle listener do not see the CONNECT packet themselves.
 */
final class ConnectionAttributes {

    private static final String USERNAME = "io.mqttwebhook.username";
    private static final String KEEPALIVE = "io.mqttwebhook.keepalive";
    private static final String CONNACK_SENT = "io.mqttwebhook.connack";
    private static final String USER_PROPERTIES = "io.mqttwebhook.user_properties";

    private ConnectionAttributes() {
    }

    static void storeConnect(final ConnectionAttributeStore store, final String username, final int keepalive) {
        if (username != null) {
            store.putAsString(USERNAME, username);
        }
        store.putAsString(KEEPALIVE, Integer.toString(keepalive));
    }

    static String username(final ConnectionAttributeStore store) {
        return store.getAsString(USERNAME).orElse(null);
    }

    static int keepalive(final ConnectionAttributeStore store) {
        final Optional<String> value = store.getAsString(KEEPALIVE);
        return value.map(Integer::parseInt).orElse(0);
    }

    /** Marks that a connack event was reported for this connection: it will get one disconnected event. */
    static void markConnack(final ConnectionAttributeStore store) {
        store.putAsString(CONNACK_SENT, "1");
    }

    static boolean connackReported(final ConnectionAttributeStore store) {
        return store.get(CONNACK_SENT).isPresent();
    }

    /** Keeps the CONNECT's user properties (length-prefixed UTF-8 pairs) for the client_connected event. */
    static void storeUserProperties(final ConnectionAttributeStore store, final Mqtt5Properties properties) {
        final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            for (final String[] pair : properties.userProperties()) {
                for (final String part : pair) {
                    final byte[] utf8 = part.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    out.writeInt(utf8.length);
                    out.write(utf8);
                }
            }
        } catch (final java.io.IOException impossible) {
            throw new java.io.UncheckedIOException(impossible);
        }
        store.put(USER_PROPERTIES, java.nio.ByteBuffer.wrap(bytes.toByteArray()));
    }

    /** The user properties kept by {@link #storeUserProperties}, or none. */
    static Mqtt5Properties userProperties(final ConnectionAttributeStore store) {
        final Optional<java.nio.ByteBuffer> stored = store.get(USER_PROPERTIES);
        if (stored.isEmpty()) {
            return Mqtt5Properties.NONE;
        }
        final java.nio.ByteBuffer buffer = stored.get().duplicate();
        final Mqtt5Properties.Builder properties = Mqtt5Properties.builder();
        while (buffer.remaining() >= 4) {
            properties.userProperty(read(buffer), read(buffer));
        }
        return properties.build();
    }

    private static String read(final java.nio.ByteBuffer buffer) {
        final byte[] utf8 = new byte[buffer.getInt()];
        buffer.get(utf8);
        return new String(utf8, java.nio.charset.StandardCharsets.UTF_8);
    }

    /** {@code proto_ver}: 3 (MQTT 3.1), 4 (3.1.1), 5. */
    static int protoVer(final MqttVersion version) {
        switch (version) {
            case V_3_1:
                return 3;
            case V_3_1_1:
                return 4;
            default:
                return 5;
        }
    }
}
