package io.mqttwebhook.hivemq;

import com.hivemq.extension.sdk.api.client.parameter.ConnectionAttributeStore;
import com.hivemq.extension.sdk.api.packets.general.MqttVersion;

import java.util.Optional;

/**
 * What CONNECT said and CONNACK answered, kept in HiveMQ's per-connection attribute store: the CONNACK
 * interceptor and the lifecycle listener do not see the CONNECT packet themselves.
 */
final class ConnectionAttributes {

    private static final String USERNAME = "io.mqttwebhook.username";
    private static final String KEEPALIVE = "io.mqttwebhook.keepalive";
    private static final String CONNACK_SENT = "io.mqttwebhook.connack";

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
