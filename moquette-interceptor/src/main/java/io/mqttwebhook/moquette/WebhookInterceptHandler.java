package io.mqttwebhook.moquette;

import io.moquette.broker.Server;
import io.moquette.interception.AbstractInterceptHandler;
import io.moquette.interception.InterceptHandler;
import io.moquette.interception.messages.InterceptConnectMessage;
import io.moquette.interception.messages.InterceptConnectionLostMessage;
import io.moquette.interception.messages.InterceptDisconnectMessage;
import io.moquette.interception.messages.InterceptPublishMessage;
import io.moquette.interception.messages.InterceptSubscribeMessage;
import io.moquette.interception.messages.InterceptUnsubscribeMessage;
import io.mqttwebhook.Routing;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.ConfigException;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.config.LoadResult;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.event.ConnackEvent;
import io.mqttwebhook.event.ConnectEvent;
import io.mqttwebhook.event.DisconnectedEvent;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.event.ReasonNames;
import io.mqttwebhook.event.SubscriptionEvent;
import io.mqttwebhook.metrics.JmxMetrics;
import io.mqttwebhook.metrics.WebhookMetrics;
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The webhook for Moquette 0.17: an {@link InterceptHandler} that turns Moquette's notifications into core
 * events, and nothing else (the webhook's life is {@link MoquetteLifecycle}'s, connection bookkeeping
 * {@link ConnectionTracker}'s). Register it in code ({@code startServer(config, handlers, ...)}) or with
 * {@code intercept.handler io.mqttwebhook.moquette.WebhookInterceptHandler} in {@code moquette.conf}; the
 * configuration then comes from {@code mqtt.webhook.config} / {@code MQTT_WEBHOOK_CONFIG}, else
 * {@code config/webhook.conf}. A configuration error fails the constructor, logged at ERROR with the full
 * message (Moquette itself logs only its second attempt). The webhook starts with the handler: events waiting
 * on disk go out at once. Moquette asks a handler for its message types once: it gets only those the rules
 * want. Callbacks never throw and never block.
 */
public final class WebhookInterceptHandler extends AbstractInterceptHandler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookInterceptHandler.class);

    /** The default file, relative to Moquette's working directory (where {@code config/moquette.conf} is). */
    public static final Path DEFAULT_CONFIG = Paths.get("config", "webhook.conf");

    /** Events Moquette 0.17 shows to a handler (its acknowledgement notification is commented out in 0.17). */
    static final Set<EventType> SUPPORTED = EnumSet.of(EventType.CLIENT_CONNACK, EventType.CLIENT_CONNECTED,
            EventType.CLIENT_DISCONNECTED, EventType.CLIENT_SUBSCRIBE, EventType.SESSION_SUBSCRIBED,
            EventType.CLIENT_UNSUBSCRIBE, EventType.SESSION_UNSUBSCRIBED, EventType.MESSAGE_PUBLISH);

    private static final byte[] EMPTY = new byte[0];

    /** The handler most recently constructed, for a {@link WebhookAuthenticator} Moquette builds by class name. */
    private static volatile WebhookInterceptHandler latest;

    private final WebhookConfig config;
    /** Null when the file turns the webhook off. */
    private final MoquetteLifecycle lifecycle;
    private final ConnectionTracker connections;
    private final Class<?>[] messageTypes;

    /** For {@code intercept.handler}: the configuration from the system property, the environment or {@link #DEFAULT_CONFIG}. */
    public WebhookInterceptHandler(final Server server) {
        this(ConfigLoader.overriddenLocation().orElse(DEFAULT_CONFIG), server);
    }

    /** As {@link #WebhookInterceptHandler(Server)}, without the server (its stop is seen by its threads). */
    public WebhookInterceptHandler() {
        this(ConfigLoader.overriddenLocation().orElse(DEFAULT_CONFIG), null);
    }

    private WebhookInterceptHandler(final Path file, final Server server) {
        this(load(file), file, server);
    }

    /** For embedding code that builds or loads the configuration itself. */
    public WebhookInterceptHandler(final WebhookConfig config) {
        this(Objects.requireNonNull(config, "config"), null, null);
    }

    /**
     * For embedding code: with the {@link Server} it registers this handler with, the webhook sees
     * {@code stopServer()} by itself (and drains) even before any client connected.
     */
    public WebhookInterceptHandler(final WebhookConfig config, final Server server) {
        this(Objects.requireNonNull(config, "config"), null, Objects.requireNonNull(server, "server"));
    }

    /**
     * {@code config} null: the webhook is off (the file has no webhook block or says enable = false);
     * {@code file}: where it came from, watched for changes (null when given in code).
     */
    private WebhookInterceptHandler(final WebhookConfig config, final Path file, final Server server) {
        this.config = config;
        if (config != null) {
            for (final EventType type : config.eventTypes()) {
                if (!SUPPORTED.contains(type)) {
                    LOG.warn("mqtt-webhook: event {} is not visible to interceptors on Moquette 0.17; its rules are"
                            + " ignored and it is never posted", type.configName());
                }
            }
            this.lifecycle = new MoquetteLifecycle(config, file, server);
            this.connections = new ConnectionTracker(System::nanoTime,
                    task -> lifecycle.later(task, ConnectionTracker.LOSS_CONFIRM_NANOS), this::disconnected);
            this.messageTypes = messageTypes(lifecycle.webhook());
            lifecycle.webhook().onReload(this::followReload);
        } else {
            this.lifecycle = null;
            this.connections = null;
            this.messageTypes = new Class<?>[0];
        }
        latest = this;
    }

    private static WebhookConfig load(final Path file) {
        final LoadResult result;
        try {
            result = ConfigLoader.load(file);
        } catch (final ConfigException e) {
            LOG.error("mqtt-webhook: configuration error, the interceptor does not start: {}", e.getMessage());
            throw new IllegalArgumentException("mqtt-webhook configuration error: " + e.getMessage(), e);
        }
        result.warnings().forEach(warning -> LOG.warn("mqtt-webhook: {}", warning));
        if (result.config().isEmpty()) {
            LOG.warn("mqtt-webhook: {}; nothing will be posted", result.disabledReason());
            return null;
        }
        return result.config().get();
    }

    /** The notifications the rules need: connections are followed whenever a connection event is wanted. */
    private static Class<?>[] messageTypes(final Webhook webhook) {
        final List<Class<?>> types = new ArrayList<>();
        if (webhook.wants(EventType.CLIENT_CONNACK) || webhook.wants(EventType.CLIENT_CONNECTED)
                || webhook.wants(EventType.CLIENT_DISCONNECTED)) {
            types.add(InterceptConnectMessage.class);
            types.add(InterceptDisconnectMessage.class);
            types.add(InterceptConnectionLostMessage.class);
        }
        if (webhook.wants(EventType.MESSAGE_PUBLISH)) {
            types.add(InterceptPublishMessage.class);
        }
        if (webhook.wants(EventType.CLIENT_SUBSCRIBE) || webhook.wants(EventType.SESSION_SUBSCRIBED)) {
            types.add(InterceptSubscribeMessage.class);
        }
        if (webhook.wants(EventType.CLIENT_UNSUBSCRIBE) || webhook.wants(EventType.SESSION_UNSUBSCRIBED)) {
            types.add(InterceptUnsubscribeMessage.class);
        }
        return types.toArray(new Class<?>[0]);
    }

    /** Moquette asked once: a reload that needs more notifications takes effect at the next restart. */
    private void followReload() {
        final Set<Class<?>> needed = Set.of(messageTypes(lifecycle.webhook()));
        final Set<Class<?>> declared = Set.of(messageTypes);
        if (!declared.containsAll(needed)) {
            LOG.warn("mqtt-webhook: the reloaded rules want events Moquette was not asked to show this handler (it"
                    + " asks once, at start); they are posted after the next restart");
        }
    }

    @Override
    public Class<?>[] getInterceptedMessageTypes() {
        return messageTypes.clone();
    }

    static WebhookInterceptHandler latest() {
        return latest;
    }

    /** {@code webhook.authenticator_class}, for {@link WebhookAuthenticator}; null when unset or off. */
    String authenticatorClass() {
        return config == null ? null : config.authenticatorClass();
    }

    @Override
    public String getID() {
        return "mqtt-webhook";
    }

    /** The running core; null when the webhook is off. Records the interceptor thread calling. */
    private Webhook webhook() {
        if (lifecycle == null) {
            return null;
        }
        lifecycle.seen(Thread.currentThread());
        return lifecycle.webhook();
    }

    /** Metrics of the webhook, or null when it is off or JMX is not available. */
    JmxMetrics jmx() {
        return lifecycle == null ? null : lifecycle.jmx();
    }

    /** The core's metrics, or null when the webhook is off. */
    WebhookMetrics metrics() {
        return lifecycle == null ? null : lifecycle.webhook().metrics();
    }

    /** The port of the Prometheus endpoint, 0 while it is not listening (or not configured). */
    int prometheusPort() {
        return lifecycle == null || lifecycle.prometheus() == null ? 0 : lifecycle.prometheus().port();
    }

    /** Drains within {@code shutdown.drain_timeout} and releases every thread and connection. Idempotent. */
    @Override
    public void close() {
        if (lifecycle != null) {
            lifecycle.close();
        }
    }

    private void disconnected(final String clientId, final String username, final String reason) {
        lifecycle.webhook().publish(new DisconnectedEvent(clientId, username, reason));
    }

    @Override
    public void onConnect(final InterceptConnectMessage msg) {
        final Webhook hook = webhook();
        if (hook == null) {
            return;
        }
        try {
            final String clientId = msg.getClientID();
            final String username = msg.getUsername();
            connections.connected(clientId, username);
            final int protoVer = msg.getProtocolVersion();
            hook.publish(new ConnackEvent(clientId, username, protoVer, msg.getKeepAlive(), ReasonNames.SUCCESS));
            if (hook.wants(EventType.CLIENT_CONNECTED)) {
                hook.publish(new ConnectEvent(EventType.CLIENT_CONNECTED, clientId, username, "", msg.getKeepAlive(),
                        protoVer, System.currentTimeMillis()));
            }
        } catch (final RuntimeException e) {
            failed("connect", e);
        }
    }

    @Override
    public void onDisconnect(final InterceptDisconnectMessage msg) {
        if (webhook() == null) {
            return;
        }
        try {
            connections.disconnected(msg.getClientID(), msg.getUsername());
        } catch (final RuntimeException e) {
            failed("disconnect", e);
        }
    }

    @Override
    public void onConnectionLost(final InterceptConnectionLostMessage msg) {
        if (webhook() == null) {
            return;
        }
        try {
            connections.lost(msg.getClientID(), msg.getUsername());
        } catch (final RuntimeException e) {
            failed("connection lost", e);
        }
    }

    @Override
    public void onPublish(final InterceptPublishMessage msg) {
        final ByteBuf payload = msg.getPayload();
        try {
            final Webhook hook = webhook();
            if (hook == null) {
                return;
            }
            final String topic = msg.getTopicName();
            final Routing routing = hook.routing();
            final int endpoints = routing.match(EventType.MESSAGE_PUBLISH, topic);
            if (endpoints == 0) {
                return;
            }
            final byte[] bytes = payload.readableBytes() == 0 ? EMPTY : new byte[payload.readableBytes()];
            payload.getBytes(payload.readerIndex(), bytes);
            // Moquette notifies after routing: the arrival time is the closest this handler can see
            routing.offer(new PublishEvent(msg.getClientID(), msg.getUsername(), topic, msg.getQos().value(),
                    msg.isRetainFlag(), bytes, System.currentTimeMillis()), endpoints);
        } catch (final RuntimeException e) {
            failed("publish", e);
        } finally {
            // Moquette hands each handler its own retained duplicate: release it exactly once
            payload.release();
        }
    }

    @Override
    public void onSubscribe(final InterceptSubscribeMessage msg) {
        final Webhook hook = webhook();
        if (hook == null) {
            return;
        }
        try {
            // Moquette notifies once the subscription is stored, with the QoS that was asked for and granted
            final int qos = msg.getRequestedQos().value();
            hook.publish(new SubscriptionEvent(EventType.CLIENT_SUBSCRIBE, msg.getClientID(), msg.getUsername(),
                    msg.getTopicFilter(), qos));
            hook.publish(new SubscriptionEvent(EventType.SESSION_SUBSCRIBED, msg.getClientID(), msg.getUsername(),
                    msg.getTopicFilter(), qos));
        } catch (final RuntimeException e) {
            failed("subscribe", e);
        }
    }

    @Override
    public void onUnsubscribe(final InterceptUnsubscribeMessage msg) {
        final Webhook hook = webhook();
        if (hook == null) {
            return;
        }
        try {
            hook.publish(new SubscriptionEvent(EventType.CLIENT_UNSUBSCRIBE, msg.getClientID(), msg.getUsername(),
                    msg.getTopicFilter(), 0));
            hook.publish(new SubscriptionEvent(EventType.SESSION_UNSUBSCRIBED, msg.getClientID(), msg.getUsername(),
                    msg.getTopicFilter(), 0));
        } catch (final RuntimeException e) {
            failed("unsubscribe", e);
        }
    }

    @Override
    public void onSessionLoopError(final Throwable error) {
        LOG.debug("mqtt-webhook: Moquette session loop error seen", error);
    }

    /** A callback must never throw: Moquette's interceptor thread would die with it. */
    private static void failed(final String notification, final RuntimeException e) {
        LOG.error("mqtt-webhook: cannot handle Moquette's {} notification", notification, e);
    }

    /**
     * A connection refused by the authenticator (called by {@link WebhookAuthenticator} on a Netty I/O thread):
     * a connack with the reason and the disconnected event of that connection. Moquette's authenticator sees
     * neither protocol version nor keepalive: both are written 0. Only enqueues.
     */
    void refused(final String clientId, final String username) {
        if (lifecycle == null) {
            return;
        }
        try {
            final Webhook hook = lifecycle.webhook(); // a Netty thread, not an interceptor thread: not recorded
            hook.publish(new ConnackEvent(clientId, username, 0, 0, ReasonNames.BAD_USERNAME_OR_PASSWORD));
            hook.publish(new DisconnectedEvent(clientId, username, ReasonNames.BAD_USERNAME_OR_PASSWORD));
        } catch (final RuntimeException e) {
            failed("authentication refusal", e);
        }
    }
}
