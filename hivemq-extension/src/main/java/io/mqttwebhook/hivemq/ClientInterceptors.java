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
import com.hivemq.extension.sdk.api.packets.subscribe.Subscription;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.event.SubscriptionEvent;

import java.nio.ByteBuffer;

/**
 * The packets of one connected client: PUBLISH ({@code on_message_publish}) and SUBSCRIBE / UNSUBSCRIBE
 * (one {@code on_client_(un)subscribe} per topic filter). Created once per connection by the client
 * initializer with the client id and username, so the publish path reads no connection attributes: it
 * matches the topic, and only then copies the payload and enqueues. These run on HiveMQ's extension
 * executor, shared by many clients, so they do nothing else.
 */
final class ClientInterceptors implements PublishInboundInterceptor, SubscribeInboundInterceptor,
        UnsubscribeInboundInterceptor {

    private static final byte[] EMPTY = new byte[0];

    private final Webhook webhook;
    private final String clientId;
    private final String username;

    ClientInterceptors(final Webhook webhook, final String clientId, final String username) {
        this.webhook = webhook;
        this.clientId = clientId;
        this.username = username;
    }

    @Override
    public void onInboundPublish(final PublishInboundInput input, final PublishInboundOutput output) {
        final PublishPacket publish = input.getPublishPacket();
        final String topic = publish.getTopic();
        if (!webhook.matches(EventType.MESSAGE_PUBLISH, topic)) {
            return;
        }
        webhook.offerMatched(new PublishEvent(clientId, username, topic, publish.getQos().getQosNumber(),
                publish.getRetain(), publish.getPayload().map(ClientInterceptors::copy).orElse(EMPTY),
                publish.getTimestamp()));
    }

    /** The payload buffer is read-only and shared: copy without moving its position. */
    private static byte[] copy(final ByteBuffer payload) {
        final byte[] bytes = new byte[payload.remaining()];
        payload.duplicate().get(bytes);
        return bytes;
    }

    @Override
    public void onInboundSubscribe(final SubscribeInboundInput input, final SubscribeInboundOutput output) {
        for (final Subscription subscription : input.getSubscribePacket().getSubscriptions()) {
            webhook.publish(new SubscriptionEvent(EventType.CLIENT_SUBSCRIBE, clientId, username,
                    subscription.getTopicFilter(), subscription.getQos().getQosNumber()));
        }
    }

    @Override
    public void onInboundUnsubscribe(final UnsubscribeInboundInput input, final UnsubscribeInboundOutput output) {
        for (final String filter : input.getUnsubscribePacket().getTopicFilters()) {
            webhook.publish(new SubscriptionEvent(EventType.CLIENT_UNSUBSCRIBE, clientId, username, filter, 0));
        }
    }
}
