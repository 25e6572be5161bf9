package io.mqttwebhook.hivemq;

import com.hivemq.extension.sdk.api.client.parameter.ConnectionAttributeStore;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PublishEvent;

import java.nio.ByteBuffer;

/**
 * PUBLISH from a client: copies topic, flags and payload into an {@code on_message_publish} event and hands
 * it to the core. Runs on HiveMQ's extension executor shared by many clients, so it does nothing else.
 */
final class PublishInterceptor implements PublishInboundInterceptor {

    private static final byte[] EMPTY = new byte[0];

    private final Webhook webhook;

    PublishInterceptor(final Webhook webhook) {
        this.webhook = webhook;
    }

    @Override
    public void onInboundPublish(final PublishInboundInput input, final PublishInboundOutput output) {
        final PublishPacket publish = input.getPublishPacket();
        final ConnectionAttributeStore store = input.getConnectionInformation().getConnectionAttributeStore();
        webhook.publish(new PublishEvent(input.getClientInformation().getClientId(), ConnectionAttributes.username(store),
                publish.getTopic(), publish.getQos().getQosNumber(), publish.getRetain(),
                publish.getPayload().map(PublishInterceptor::copy).orElse(EMPTY), publish.getTimestamp()));
    }

    /** The payload buffer is read-only and shared: copy without moving its position. */
    private static byte[] copy(final ByteBuffer payload) {
        final byte[] bytes = new byte[payload.remaining()];
        payload.duplicate().get(bytes);
        return bytes;
    }
}
