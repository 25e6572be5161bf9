package io.mqttwebhook.hivemq;

import com.hivemq.extension.sdk.api.packets.general.UserProperties;
import com.hivemq.extension.sdk.api.packets.general.UserProperty;
import com.hivemq.extension.sdk.api.packets.publish.PayloadFormatIndicator;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import io.mqttwebhook.event.Mqtt5Properties;

import java.nio.ByteBuffer;

/**
 * Copies the MQTT 5 properties of a packet into the core's plain {@link Mqtt5Properties}; called only when an
 * endpoint shows them (so NanoMQ-style endpoints pay nothing). The packet's buffers are shared and read-only:
 * they are copied without moving their position.
 */
final class PacketProperties {

    /** MQTT 5's largest Message Expiry Interval (a four-byte integer). */
    private static final long MAX_EXPIRY_SECONDS = 0xFFFF_FFFFL;

    private PacketProperties() {
    }

    static Mqtt5Properties of(final PublishPacket publish) {
        final Mqtt5Properties.Builder properties = Mqtt5Properties.builder();
        addUserProperties(properties, publish.getUserProperties());
        publish.getContentType().ifPresent(properties::contentType);
        publish.getResponseTopic().ifPresent(properties::responseTopic);
        publish.getCorrelationData().map(PacketProperties::copy).ifPresent(properties::correlationData);
        // HiveMQ reports 2^32 (more than MQTT's largest interval) for a message that has no expiry
        publish.getMessageExpiryInterval().filter(seconds -> seconds <= MAX_EXPIRY_SECONDS)
                .ifPresent(properties::messageExpiryInterval);
        publish.getPayloadFormatIndicator()
                .map(indicator -> indicator == PayloadFormatIndicator.UTF_8 ? 1 : 0)
                .ifPresent(properties::payloadFormatIndicator);
        return properties.build();
    }

    /** The user properties of a CONNECT. */
    static Mqtt5Properties of(final UserProperties userProperties) {
        if (userProperties.isEmpty()) {
            return Mqtt5Properties.NONE;
        }
        final Mqtt5Properties.Builder properties = Mqtt5Properties.builder();
        addUserProperties(properties, userProperties);
        return properties.build();
    }

    private static void addUserProperties(final Mqtt5Properties.Builder properties, final UserProperties user) {
        if (!user.isEmpty()) {
            for (final UserProperty property : user.asList()) {
                properties.userProperty(property.getName(), property.getValue());
            }
        }
    }

    private static byte[] copy(final ByteBuffer buffer) {
        final byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return bytes;
    }
}
