package io.mqttwebhook.hivemq;

import com.hivemq.extension.sdk.api.client.ClientContext;
import com.hivemq.extension.sdk.api.client.parameter.ConnectionInformation;
import com.hivemq.extension.sdk.api.client.parameter.InitializerInput;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.event.EventType;

import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-client interceptors of every connected client, present only for the events the rules want, and
 * added to or removed from every connected client when a reload changes the rules. HiveMQ hands each packet
 * for which a client has an interceptor to its extension task executor and back (see CE's
 * {@code IncomingPublishHandler}), two thread hand-offs per packet whatever the interceptor does: at full
 * load on 2 cores that alone cost a third of the publish throughput, with no rule for publishes at all.
 */
final class ClientHooks {

    private final Webhook webhook;
    private final ConcurrentHashMap<String, Connection> connections = new ConcurrentHashMap<>();

    ClientHooks(final Webhook webhook) {
        this.webhook = webhook;
    }

    /** The client initializer: runs once per connection, after CONNECT was seen. */
    void initialize(final InitializerInput input, final ClientContext context) {
        final String clientId = input.getClientInformation().getClientId();
        // read once per connection here, not per packet
        final String username = ConnectionAttributes.username(input.getConnectionInformation().getConnectionAttributeStore());
        final Connection connection = new Connection(input.getConnectionInformation(), context,
                new ClientInterceptors(webhook, clientId, username), new DeliveryInterceptors(webhook, clientId, username));
        // in the map before the first apply: a reload in between applies the newest rules to it too
        connections.put(clientId, connection);
        connection.apply(webhook);
    }

    /**
     * A connection ended. HiveMQ keeps one ConnectionInformation per connection, so a takeover's new
     * connection, already initialized under the same client id, is not removed by the old one's end.
     */
    void disconnected(final String clientId, final ConnectionInformation information) {
        connections.computeIfPresent(clientId, (id, connection) -> connection.information == information ? null : connection);
    }

    /** After a reload: every connected client gets the interceptors the new rules want, and loses the others. */
    void rulesChanged() {
        connections.values().forEach(connection -> connection.apply(webhook));
    }


    /** One connection's context and interceptors, with which groups of them are added. */
    private static final class Connection {
        final ConnectionInformation information;
        final ClientContext context;
        final ClientInterceptors client;
        final DeliveryInterceptors delivery;
        // guarded by this
        private boolean publish;
        private boolean subscribe;
        private boolean unsubscribe;
        private boolean delivered;
        private boolean acked;

        Connection(final ConnectionInformation information, final ClientContext context, final ClientInterceptors client,
                   final DeliveryInterceptors delivery) {
            this.information = information;
            this.context = context;
            this.client = client;
            this.delivery = delivery;
        }

        /** Adds what the rules want and is missing, removes what they no longer want. HiveMQ allows both at any time. */
        synchronized void apply(final Webhook webhook) {
            final boolean wantsPublish = webhook.wants(EventType.MESSAGE_PUBLISH);
            if (wantsPublish != publish) {
                publish = wantsPublish;
                if (wantsPublish) {
                    context.addPublishInboundInterceptor(client);
                } else {
                    context.removePublishInboundInterceptor(client);
                }
            }
            final boolean wantsSubscribe = webhook.wants(EventType.CLIENT_SUBSCRIBE) || webhook.wants(EventType.SESSION_SUBSCRIBED);
            if (wantsSubscribe != subscribe) {
                subscribe = wantsSubscribe;
                if (wantsSubscribe) {
                    context.addSubscribeInboundInterceptor(client);
                    context.addSubackOutboundInterceptor(client);
                } else {
                    context.removeSubscribeInboundInterceptor(client);
                    context.removeSubackOutboundInterceptor(client);
                }
            }
            final boolean wantsUnsubscribe =
                    webhook.wants(EventType.CLIENT_UNSUBSCRIBE) || webhook.wants(EventType.SESSION_UNSUBSCRIBED);
            if (wantsUnsubscribe != unsubscribe) {
                unsubscribe = wantsUnsubscribe;
                if (wantsUnsubscribe) {
                    context.addUnsubscribeInboundInterceptor(client);
                    context.addUnsubackOutboundInterceptor(client);
                } else {
                    context.removeUnsubscribeInboundInterceptor(client);
                    context.removeUnsubackOutboundInterceptor(client);
                }
            }
            final boolean wantsDelivered = webhook.wants(EventType.MESSAGE_DELIVERED);
            if (wantsDelivered != delivered) {
                delivered = wantsDelivered;
                if (wantsDelivered) {
                    context.addPublishOutboundInterceptor(delivery);
                } else {
                    context.removePublishOutboundInterceptor(delivery);
                }
            }
            final boolean wantsAcked = webhook.wants(EventType.MESSAGE_ACKED);
            if (wantsAcked != acked) {
                acked = wantsAcked;
                if (wantsAcked) {
                    context.addPubackInboundInterceptor(delivery);
                    context.addPubcompInboundInterceptor(delivery);
                } else {
                    context.removePubackInboundInterceptor(delivery);
                    context.removePubcompInboundInterceptor(delivery);
                }
            }
        }
    }
}
