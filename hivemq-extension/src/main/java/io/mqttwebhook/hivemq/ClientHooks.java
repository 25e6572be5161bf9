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
            publish = follow(publish, webhook.wants(EventType.MESSAGE_PUBLISH),
                    () -> context.addPublishInboundInterceptor(client),
                    () -> context.removePublishInboundInterceptor(client));
            subscribe = follow(subscribe,
                    webhook.wants(EventType.CLIENT_SUBSCRIBE) || webhook.wants(EventType.SESSION_SUBSCRIBED), () -> {
                        context.addSubscribeInboundInterceptor(client);
                        context.addSubackOutboundInterceptor(client);
                    }, () -> {
                        context.removeSubscribeInboundInterceptor(client);
                        context.removeSubackOutboundInterceptor(client);
                    });
            unsubscribe = follow(unsubscribe,
                    webhook.wants(EventType.CLIENT_UNSUBSCRIBE) || webhook.wants(EventType.SESSION_UNSUBSCRIBED), () -> {
                        context.addUnsubscribeInboundInterceptor(client);
                        context.addUnsubackOutboundInterceptor(client);
                    }, () -> {
                        context.removeUnsubscribeInboundInterceptor(client);
                        context.removeUnsubackOutboundInterceptor(client);
                    });
            delivered = follow(delivered, webhook.wants(EventType.MESSAGE_DELIVERED),
                    () -> context.addPublishOutboundInterceptor(delivery),
                    () -> context.removePublishOutboundInterceptor(delivery));
            acked = follow(acked, webhook.wants(EventType.MESSAGE_ACKED), () -> {
                context.addPubackInboundInterceptor(delivery);
                context.addPubcompInboundInterceptor(delivery);
            }, () -> {
                context.removePubackInboundInterceptor(delivery);
                context.removePubcompInboundInterceptor(delivery);
            });
        }

        /** Adds or removes one group when wanted and present differ; returns whether it is present now. */
        private static boolean follow(final boolean present, final boolean wanted, final Runnable add,
                                      final Runnable remove) {
            if (wanted && !present) {
                add.run();
            } else if (!wanted && present) {
                remove.run();
            }
            return wanted;
        }
    }
}
