package io.mqttwebhook.hivemq;

import com.hivemq.extension.sdk.api.interceptor.puback.PubackInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.puback.parameter.PubackInboundInput;
import com.hivemq.extension.sdk.api.interceptor.puback.parameter.PubackInboundOutput;
import com.hivemq.extension.sdk.api.interceptor.pubcomp.PubcompInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.pubcomp.parameter.PubcompInboundInput;
import com.hivemq.extension.sdk.api.interceptor.pubcomp.parameter.PubcompInboundOutput;
import com.hivemq.extension.sdk.api.interceptor.publish.PublishOutboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishOutboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishOutboundOutput;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import io.mqttwebhook.Routing;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.MessageEvent;
import io.mqttwebhook.event.Mqtt5Properties;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Messages going to one subscriber: {@code on_message_delivered} when HiveMQ sends the PUBLISH, and
 * {@code on_message_acked} when the subscriber answers a QoS 1 message with PUBACK or completes a QoS 2
 * one with PUBCOMP (paired by packet identifier; QoS 0 has no acknowledgement). HiveMQ does not tell an
 * outbound interceptor who published the message, so {@code from_client_id} is {@code ""} and
 * {@code from_username} {@code "undefined"} on this broker. Created once per connection.
 */
final class DeliveryInterceptors implements PublishOutboundInterceptor, PubackInboundInterceptor,
        PubcompInboundInterceptor {

    private final Webhook webhook;
    private final String clientId;
    private final String username;
    /** Messages sent with QoS 1 or 2 whose acknowledgement a rule wants, by packet identifier. */
    private final Map<Integer, MessageEvent> awaitingAck = new ConcurrentHashMap<>();

    DeliveryInterceptors(final Webhook webhook, final String clientId, final String username) {
        this.webhook = webhook;
        this.clientId = clientId;
        this.username = username;
    }

    @Override
    public void onOutboundPublish(final PublishOutboundInput input, final PublishOutboundOutput output) {
        final PublishPacket publish = input.getPublishPacket();
        final String topic = publish.getTopic();
        final Routing routing = webhook.routing();
        final int delivered = routing.match(EventType.MESSAGE_DELIVERED, topic);
        final int qos = publish.getQos().getQosNumber();
        final int acked = qos > 0 ? routing.match(EventType.MESSAGE_ACKED, topic) : 0;
        if (delivered == 0 && acked == 0) {
            return;
        }
        final byte[] payload = ClientInterceptors.payload(publish);
        final long now = System.currentTimeMillis();
        final Mqtt5Properties properties = routing.wantsProperties(delivered | acked)
                ? PacketProperties.of(publish) : Mqtt5Properties.NONE;
        if (delivered != 0) {
            routing.offer(event(EventType.MESSAGE_DELIVERED, topic, qos, publish.getRetain(), payload, now, properties),
                    delivered);
        }
        if (acked != 0) {
            awaitingAck.put(publish.getPacketId(),
                    event(EventType.MESSAGE_ACKED, topic, qos, publish.getRetain(), payload, now, properties));
        }
    }

    private MessageEvent event(final EventType type, final String topic, final int qos, final boolean retain,
                               final byte[] payload, final long ts, final Mqtt5Properties properties) {
        return new MessageEvent(type, clientId, username, "", null, topic, qos, retain, payload, ts, properties);
    }

    @Override
    public void onInboundPuback(final PubackInboundInput input, final PubackInboundOutput output) {
        acknowledged(input.getPubackPacket().getPacketIdentifier());
    }

    @Override
    public void onInboundPubcomp(final PubcompInboundInput input, final PubcompInboundOutput output) {
        acknowledged(input.getPubcompPacket().getPacketIdentifier());
    }

    private void acknowledged(final int packetId) {
        final MessageEvent acked = awaitingAck.remove(packetId);
        if (acked != null) {
            // matched again: the rules in force when the acknowledgement arrives decide
            webhook.publish(acked);
        }
    }
}
