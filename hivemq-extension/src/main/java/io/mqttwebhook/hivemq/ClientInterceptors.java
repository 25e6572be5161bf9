package io.mqttwebhook.hivemq;

import com.hivemq.extension.sdk.api.interceptor.publish.PublishInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundInput;
import com.hivemq.extension.sdk.api.interceptor.publish.parameter.PublishInboundOutput;
import com.hivemq.extension.sdk.api.interceptor.subscribe.SubscribeInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.subscribe.parameter.SubscribeInboundInput;
import com.hivemq.extension.sdk.api.interceptor.subscribe.parameter.SubscribeInboundOutput;
import com.hivemq.extension.sdk.api.interceptor.unsubscribe.UnsubscribeInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.unsubscribe.parameter.UnsubscribeInboundInput;
import com.hivemq.extension.sdk.api.interceptor.unsubscribe.parameter.UnsubscribeInboundOutput;
import com.hivemq.extension.sdk.api.packets.publish.PublishPacket;
import com.hivemq.extension.sdk.api.interceptor.suback.SubackOutboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.suback.parameter.SubackOutboundInput;
import com.hivemq.extension.sdk.api.interceptor.suback.parameter.SubackOutboundOutput;
import com.hivemq.extension.sdk.api.interceptor.unsuback.UnsubackOutboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.unsuback.parameter.UnsubackOutboundInput;
import com.hivemq.extension.sdk.api.interceptor.unsuback.parameter.UnsubackOutboundOutput;
import com.hivemq.extension.sdk.api.packets.suback.SubackPacket;
import com.hivemq.extension.sdk.api.packets.subscribe.SubackReasonCode;
import com.hivemq.extension.sdk.api.packets.subscribe.SubscribePacket;
import com.hivemq.extension.sdk.api.packets.subscribe.Subscription;
import com.hivemq.extension.sdk.api.packets.unsuback.UnsubackPacket;
import com.hivemq.extension.sdk.api.packets.unsuback.UnsubackReasonCode;
import com.hivemq.extension.sdk.api.packets.unsubscribe.UnsubscribePacket;
import io.mqttwebhook.Routing;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.Mqtt5Properties;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.event.SubscriptionEvent;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The packets of one connected client: PUBLISH ({@code on_message_publish}), SUBSCRIBE / UNSUBSCRIBE (one
 * {@code on_client_(un)subscribe} per topic filter) and the broker's SUBACK / UNSUBACK (one
 * {@code on_session_(un)subscribed} per filter the broker granted or removed, paired with the request by
 * packet identifier). Created once per connection by the client
 * initializer with the client id and username, so the publish path reads no connection attributes: it
 * matches the topic, and only then copies the payload and enqueues. These run on HiveMQ's extension
 * executor, shared by many clients, so they do nothing else.
 */
final class ClientInterceptors implements PublishInboundInterceptor, SubscribeInboundInterceptor,
        UnsubscribeInboundInterceptor, SubackOutboundInterceptor, UnsubackOutboundInterceptor {

    private static final byte[] EMPTY = new byte[0];

    private final Webhook webhook;
    private final String clientId;
    private final String username;
    /** Topic filters of SUBSCRIBE / UNSUBSCRIBE packets waiting for their SUBACK / UNSUBACK. */
    private final Map<Integer, List<String>> pendingSubscribes = new ConcurrentHashMap<>();
    private final Map<Integer, List<String>> pendingUnsubscribes = new ConcurrentHashMap<>();

    ClientInterceptors(final Webhook webhook, final String clientId, final String username) {
        this.webhook = webhook;
        this.clientId = clientId;
        this.username = username;
    }

    @Override
    public void onInboundPublish(final PublishInboundInput input, final PublishInboundOutput output) {
        final PublishPacket publish = input.getPublishPacket();
        final String topic = publish.getTopic();
        final Routing routing = webhook.routing();
        final int endpoints = routing.match(EventType.MESSAGE_PUBLISH, topic);
        if (endpoints == 0) {
            return;
        }
        routing.offer(new PublishEvent(clientId, username, topic, publish.getQos().getQosNumber(),
                publish.getRetain(), payload(publish), publish.getTimestamp(),
                routing.wantsProperties(endpoints) ? PacketProperties.of(publish) : Mqtt5Properties.NONE), endpoints);
    }

    /** The payload buffer is read-only and shared: copy without moving its position. */
    static byte[] payload(final PublishPacket publish) {
        return publish.getPayload().map(ClientInterceptors::copy).orElse(EMPTY);
    }

    private static byte[] copy(final ByteBuffer payload) {
        final byte[] bytes = new byte[payload.remaining()];
        payload.duplicate().get(bytes);
        return bytes;
    }

    @Override
    public void onInboundSubscribe(final SubscribeInboundInput input, final SubscribeInboundOutput output) {
        final SubscribePacket subscribe = input.getSubscribePacket();
        final List<String> filters = new ArrayList<>(subscribe.getSubscriptions().size());
        for (final Subscription subscription : subscribe.getSubscriptions()) {
            filters.add(subscription.getTopicFilter());
            webhook.publish(new SubscriptionEvent(EventType.CLIENT_SUBSCRIBE, clientId, username,
                    subscription.getTopicFilter(), subscription.getQos().getQosNumber()));
        }
        if (webhook.wants(EventType.SESSION_SUBSCRIBED)) {
            pendingSubscribes.put(subscribe.getPacketId(), filters);
        }
    }

    @Override
    public void onOutboundSuback(final SubackOutboundInput input, final SubackOutboundOutput output) {
        final SubackPacket suback = input.getSubackPacket();
        final List<String> filters = pendingSubscribes.remove(suback.getPacketIdentifier());
        if (filters == null) {
            return;
        }
        final List<SubackReasonCode> codes = suback.getReasonCodes();
        for (int i = 0; i < filters.size() && i < codes.size(); i++) {
            final int granted = grantedQos(codes.get(i));
            if (granted >= 0) {
                webhook.publish(new SubscriptionEvent(EventType.SESSION_SUBSCRIBED, clientId, username, filters.get(i),
                        granted));
            }
        }
    }

    /** The QoS a SUBACK reason code grants, or -1 for a refusal. */
    private static int grantedQos(final SubackReasonCode code) {
        switch (code) {
            case GRANTED_QOS_0:
                return 0;
            case GRANTED_QOS_1:
                return 1;
            case GRANTED_QOS_2:
                return 2;
            default:
                return -1;
        }
    }

    @Override
    public void onInboundUnsubscribe(final UnsubscribeInboundInput input, final UnsubscribeInboundOutput output) {
        final UnsubscribePacket unsubscribe = input.getUnsubscribePacket();
        for (final String filter : unsubscribe.getTopicFilters()) {
            webhook.publish(new SubscriptionEvent(EventType.CLIENT_UNSUBSCRIBE, clientId, username, filter, 0));
        }
        if (webhook.wants(EventType.SESSION_UNSUBSCRIBED)) {
            pendingUnsubscribes.put(unsubscribe.getPacketIdentifier(), List.copyOf(unsubscribe.getTopicFilters()));
        }
    }

    @Override
    public void onOutboundUnsuback(final UnsubackOutboundInput input, final UnsubackOutboundOutput output) {
        final UnsubackPacket unsuback = input.getUnsubackPacket();
        final List<String> filters = pendingUnsubscribes.remove(unsuback.getPacketIdentifier());
        if (filters == null) {
            return;
        }
        final List<UnsubackReasonCode> codes = unsuback.getReasonCodes();
        for (int i = 0; i < filters.size(); i++) {
            // MQTT 3 UNSUBACKs carry no codes: the broker removed whatever matched
            final boolean removed = i >= codes.size() || codes.get(i) == UnsubackReasonCode.SUCCESS;
            if (removed) {
                webhook.publish(new SubscriptionEvent(EventType.SESSION_UNSUBSCRIBED, clientId, username, filters.get(i), 0));
            }
        }
    }
}
