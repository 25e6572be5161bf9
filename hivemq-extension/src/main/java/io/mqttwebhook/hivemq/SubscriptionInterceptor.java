package io.mqttwebhook.hivemq;

import com.hivemq.extension.sdk.api.interceptor.subscribe.SubscribeInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.subscribe.parameter.SubscribeInboundInput;
import com.hivemq.extension.sdk.api.interceptor.subscribe.parameter.SubscribeInboundOutput;
import com.hivemq.extension.sdk.api.interceptor.unsubscribe.UnsubscribeInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.unsubscribe.parameter.UnsubscribeInboundInput;
import com.hivemq.extension.sdk.api.interceptor.unsubscribe.parameter.UnsubscribeInboundOutput;
import com.hivemq.extension.sdk.api.packets.subscribe.Subscription;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.SubscriptionEvent;

/** SUBSCRIBE and UNSUBSCRIBE from a client: one {@code on_client_(un)subscribe} event per topic filter. */
final class SubscriptionInterceptor implements SubscribeInboundInterceptor, UnsubscribeInboundInterceptor {

    private final Webhook webhook;

    SubscriptionInterceptor(final Webhook webhook) {
        this.webhook = webhook;
    }

    @Override
    public void onInboundSubscribe(final SubscribeInboundInput input, final SubscribeInboundOutput output) {
        final String clientId = input.getClientInformation().getClientId();
        final String username = ConnectionAttributes.username(input.getConnectionInformation().getConnectionAttributeStore());
        for (final Subscription subscription : input.getSubscribePacket().getSubscriptions()) {
            webhook.publish(new SubscriptionEvent(EventType.CLIENT_SUBSCRIBE, clientId, username,
                    subscription.getTopicFilter(), subscription.getQos().getQosNumber()));
        }
    }

    @Override
    public void onInboundUnsubscribe(final UnsubscribeInboundInput input, final UnsubscribeInboundOutput output) {
        final String clientId = input.getClientInformation().getClientId();
        final String username = ConnectionAttributes.username(input.getConnectionInformation().getConnectionAttributeStore());
        for (final String filter : input.getUnsubscribePacket().getTopicFilters()) {
            webhook.publish(new SubscriptionEvent(EventType.CLIENT_UNSUBSCRIBE, clientId, username, filter, 0));
        }
    }
}
