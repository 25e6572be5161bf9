package io.mqttwebhook.moquette;

import io.moquette.broker.Server;
import io.moquette.interception.AbstractInterceptHandler;
import io.moquette.interception.messages.InterceptConnectMessage;
import io.moquette.interception.messages.InterceptConnectionLostMessage;
import io.moquette.interception.messages.InterceptDisconnectMessage;
import io.moquette.interception.messages.InterceptPublishMessage;
import io.moquette.interception.messages.InterceptSubscribeMessage;
import io.moquette.interception.messages.InterceptUnsubscribeMessage;
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
import io.netty.buffer.ByteBuf;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.management.JMException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.EnumSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The webhook for Moquette 0.17: an {@link io.moquette.interception.InterceptHandler} that turns
 * Moquette's notifications into core events. Register it in code ({@code startServer(config, handlers, ...)}
 * or {@code addInterceptHandler}) or with {@code intercept.handler io.mqttwebhook.moquette.WebhookInterceptHandler}
 * in {@code moquette.conf}; the configuration then comes from {@code mqtt.webhook.config} /
 * {@code MQTT_WEBHOOK_CONFIG}, else {@code config/webhook.conf}. A configuration error fails the
 * constructor, logged at ERROR with the full message (Moquette itself logs only its second attempt).
 * <p>
 * Moquette tells handlers nothing when it stops. The webhook starts on its first event and records the
 * broker threads that call it (Netty I/O threads, the interceptor pool); when all of them have ended,
 * which {@code stopServer()} does, it drains and releases its threads. {@link #close()} does the same at
 * once, for embedding code that wants to decide.
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
    /** How long after a takeover the old connection's connection-lost notification is expected. */
    private static final long TAKEOVER_LOST_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(2);
    /**
     * Moquette may notify the old connection's loss just before the CONNECT that took its session over: a loss
     * is reported this long after the notification, unless a CONNECT with the same id came in between.
     */
    private static final long LOST_CONFIRM_MILLIS = 100;
    /** At JVM shutdown, how long Moquette's own stop may take before the webhook drains anyway. */
    private static final long SHUTDOWN_WAIT_MILLIS = 10_000;

    /** The handler most recently constructed, for a {@link WebhookAuthenticator} Moquette builds by class name. */
    private static volatile WebhookInterceptHandler latest;

    private final WebhookConfig config;
    private final Path file;
    private final Map<String, Connection> connections = new ConcurrentHashMap<>();
    private final Set<Thread> brokerThreads = ConcurrentHashMap.newKeySet();
    private final Object lifecycle = new Object();
    private Webhook webhook;
    private JmxMetrics jmx;
    private ScheduledExecutorService timer;
    private Thread shutdownHook;
    /** Set by the one close() that runs; {@code closed} follows once pending losses are reported. */
    private boolean closing;
    private boolean closed;
    private final CountDownLatch closedLatch = new CountDownLatch(1);

    /** For {@code intercept.handler}: the configuration from the system property, the environment or {@link #DEFAULT_CONFIG}. */
    public WebhookInterceptHandler(final Server server) {
        this();
    }

    /** As {@link #WebhookInterceptHandler(Server)}. */
    public WebhookInterceptHandler() {
        this(ConfigLoader.overriddenLocation().orElse(DEFAULT_CONFIG));
    }

    private WebhookInterceptHandler(final Path file) {
        this(load(file), file);
    }

    /** For embedding code that builds or loads the configuration itself. */
    public WebhookInterceptHandler(final WebhookConfig config) {
        this(Objects.requireNonNull(config, "config"), (Path) null);
    }

    /**
     * {@code config} null: the webhook is off (the file has no webhook block or says enable = false);
     * {@code file}: where it came from, watched for changes (null when given in code).
     */
    private WebhookInterceptHandler(final WebhookConfig config, final Path file) {
        this.config = config;
        this.file = file;
        if (config != null) {
            for (final EventType type : config.ruleSet().eventTypes()) {
                if (!SUPPORTED.contains(type)) {
                    LOG.warn("mqtt-webhook: event {} is not visible to interceptors on Moquette 0.17; its rules are"
                            + " ignored and it is never posted", type.configName());
                }
            }
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

    /** The running core, started on first use and watched; null when the webhook is off or closed. */
    private Webhook webhook() {
        final Thread caller = Thread.currentThread();
        if (!brokerThreads.contains(caller)) {
            brokerThreads.add(caller);
        }
        synchronized (lifecycle) {
            if (webhook == null && !closed && config != null) {
                webhook = Webhook.start(config);
                if (file != null) {
                    webhook.watch(file);
                }
                try {
                    jmx = JmxMetrics.register(webhook.metrics(), "moquette");
                } catch (final JMException e) {
                    LOG.warn("mqtt-webhook: metrics are not available through JMX: {}", e.toString());
                }
                timer = Executors.newSingleThreadScheduledExecutor(r -> {
                    final Thread t = new Thread(r, "mqtt-webhook-moquette-timer");
                    t.setDaemon(true);
                    return t;
                });
                final Thread watcher = new Thread(this::closeWhenBrokerThreadsEnd, "mqtt-webhook-moquette-watch");
                watcher.setDaemon(true);
                watcher.start();
                shutdownHook = new Thread(this::closeAtJvmShutdown, "mqtt-webhook-moquette-shutdown");
                Runtime.getRuntime().addShutdownHook(shutdownHook);
            }
            return closed ? null : webhook;
        }
    }

    /** Waits until every broker thread that called this handler has ended (Moquette stopped), then closes. */
    private void closeWhenBrokerThreadsEnd() {
        try {
            awaitBrokerThreads(0);
            LOG.info("mqtt-webhook: Moquette has stopped; delivering what is queued");
            close();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Standalone Moquette stops in a JVM shutdown hook, and the JVM does not wait for daemon threads: this
     * hook lets Moquette's stop end the broker threads (up to {@link #SHUTDOWN_WAIT_MILLIS}), then drains.
     */
    private void closeAtJvmShutdown() {
        try {
            awaitBrokerThreads(SHUTDOWN_WAIT_MILLIS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    /** Joins every recorded broker thread, including ones recorded meanwhile; 0 = no time limit. */
    private void awaitBrokerThreads(final long timeoutMillis) throws InterruptedException {
        final long deadline = System.currentTimeMillis() + timeoutMillis;
        while (true) {
            final Set<Thread> seen = Set.copyOf(brokerThreads);
            for (final Thread thread : seen) {
                if (timeoutMillis == 0) {
                    thread.join();
                } else {
                    final long left = deadline - System.currentTimeMillis();
                    if (left <= 0) {
                        return;
                    }
                    thread.join(left);
                }
            }
            if (brokerThreads.size() == seen.size()) {
                return;
            }
        }
    }

    /** Drains within {@code shutdown.drain_timeout} and releases every thread and connection. Idempotent. */
    @Override
    public void close() {
        final Webhook running;
        final JmxMetrics bean;
        final ScheduledExecutorService pending;
        final Thread hook;
        final boolean first;
        synchronized (lifecycle) {
            first = !closing;
            closing = true;
            running = webhook;
            bean = jmx;
            pending = timer;
            hook = shutdownHook;
        }
        if (!first) {
            awaitClosed();
            return;
        }
        try {
            if (hook != null && hook != Thread.currentThread()) {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (final IllegalStateException shuttingDown) {
                    // the hook is running or about to: it will wait for this close
                }
            }
            if (pending != null) {
                // losses waiting for confirmation are reported now, before the webhook drains
                pending.shutdownNow().forEach(Runnable::run);
            }
            synchronized (lifecycle) {
                closed = true;
            }
            if (bean != null) {
                bean.close();
            }
            if (running != null) {
                running.close();
            }
        } finally {
            closedLatch.countDown();
        }
    }

    /**
     * A second close() (the JVM shutdown hook while the watcher drains, say) waits for the first: the JVM
     * must not exit in the middle of the drain.
     */
    private void awaitClosed() {
        try {
            closedLatch.await();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Metrics of the running webhook, or null before the first event. */
    JmxMetrics jmx() {
        synchronized (lifecycle) {
            return jmx;
        }
    }

    @Override
    public void onConnect(final InterceptConnectMessage msg) {
        final Webhook hook = webhook();
        if (hook == null) {
            return;
        }
        final String clientId = msg.getClientID();
        final String username = msg.getUsername();
        connections.compute(clientId, (id, previous) -> {
            final Connection connection = new Connection(username);
            // an open old connection is taken over; one lost just before may be too (its loss waits for this)
            final boolean takeover = previous != null && (previous.open || previous.lossPending);
            if (previous != null && !previous.lostNotified) {
                // Moquette's connection-lost notification for the old connection (taken over, or after its
                // DISCONNECT) is still to come: it must not end this one
                connection.oldConnectionLostExpectedUntil = System.nanoTime() + TAKEOVER_LOST_WINDOW_NANOS;
            }
            if (previous != null) {
                previous.open = false;
                previous.lossPending = false;
            }
            if (takeover && hook.wants(EventType.CLIENT_DISCONNECTED)) {
                hook.publish(new DisconnectedEvent(clientId, previous.username, ReasonNames.SESSION_TAKEN_OVER));
            }
            return connection;
        });
        final int protoVer = msg.getProtocolVersion();
        hook.publish(new ConnackEvent(clientId, username, protoVer, msg.getKeepAlive(), ReasonNames.SUCCESS));
        if (hook.wants(EventType.CLIENT_CONNECTED)) {
            hook.publish(new ConnectEvent(EventType.CLIENT_CONNECTED, clientId, username, "", msg.getKeepAlive(), protoVer,
                    System.currentTimeMillis()));
        }
    }

    @Override
    public void onDisconnect(final InterceptDisconnectMessage msg) {
        final Webhook hook = webhook();
        if (hook == null) {
            return;
        }
        connections.computeIfPresent(msg.getClientID(), (clientId, connection) -> {
            if (connection.open) {
                // a clean DISCONNECT: Moquette's connection-lost notification for it follows and is not reported
                connection.open = false;
                hook.publish(new DisconnectedEvent(clientId, name(msg.getUsername(), connection), ReasonNames.NORMAL));
            }
            return connection;
        });
    }

    @Override
    public void onConnectionLost(final InterceptConnectionLostMessage msg) {
        final Webhook hook = webhook();
        if (hook == null) {
            return;
        }
        final String clientId = msg.getClientID();
        connections.computeIfPresent(clientId, (id, connection) -> {
            if (connection.oldConnectionLostExpectedUntil != 0) {
                final boolean oldConnection = System.nanoTime() - connection.oldConnectionLostExpectedUntil < 0;
                connection.oldConnectionLostExpectedUntil = 0;
                if (oldConnection) {
                    return connection; // the previous connection's, reported already (takeover or DISCONNECT)
                }
            }
            connection.lostNotified = true;
            if (!connection.open) {
                return null; // after a clean DISCONNECT: reported already
            }
            connection.open = false;
            connection.lossPending = true;
            final String username = name(msg.getUsername(), connection);
            schedule(() -> confirmLoss(hook, clientId, connection, username));
            return connection;
        });
    }

    /** Reports a loss that no CONNECT with the same id claimed as a takeover. */
    private void confirmLoss(final Webhook hook, final String clientId, final Connection connection, final String username) {
        connections.computeIfPresent(clientId, (id, current) -> {
            if (current == connection && connection.lossPending) {
                connection.lossPending = false;
                hook.publish(new DisconnectedEvent(clientId, username, ReasonNames.CONNECTION_LOST));
                return null;
            }
            return current;
        });
    }

    private void schedule(final Runnable task) {
        final ScheduledExecutorService running;
        synchronized (lifecycle) {
            running = timer;
        }
        try {
            running.schedule(task, LOST_CONFIRM_MILLIS, TimeUnit.MILLISECONDS);
        } catch (final RejectedExecutionException stopping) {
            task.run();
        }
    }

    private static String name(final String reported, final Connection connection) {
        return reported != null ? reported : connection.username;
    }

    @Override
    public void onPublish(final InterceptPublishMessage msg) {
        final ByteBuf payload = msg.getPayload();
        try {
            final Webhook hook = webhook();
            final String topic = msg.getTopicName();
            if (hook == null || !hook.matches(EventType.MESSAGE_PUBLISH, topic)) {
                return;
            }
            final byte[] bytes = payload.readableBytes() == 0 ? EMPTY : new byte[payload.readableBytes()];
            payload.getBytes(payload.readerIndex(), bytes);
            // Moquette notifies after routing: the arrival time is the closest this handler can see
            hook.offerMatched(new PublishEvent(msg.getClientID(), msg.getUsername(), topic, msg.getQos().value(),
                    msg.isRetainFlag(), bytes, System.currentTimeMillis()));
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
        // Moquette notifies once the subscription is stored, with the QoS that was asked for and granted
        final int qos = msg.getRequestedQos().value();
        hook.publish(new SubscriptionEvent(EventType.CLIENT_SUBSCRIBE, msg.getClientID(), msg.getUsername(),
                msg.getTopicFilter(), qos));
        hook.publish(new SubscriptionEvent(EventType.SESSION_SUBSCRIBED, msg.getClientID(), msg.getUsername(),
                msg.getTopicFilter(), qos));
    }

    @Override
    public void onUnsubscribe(final InterceptUnsubscribeMessage msg) {
        final Webhook hook = webhook();
        if (hook == null) {
            return;
        }
        hook.publish(new SubscriptionEvent(EventType.CLIENT_UNSUBSCRIBE, msg.getClientID(), msg.getUsername(),
                msg.getTopicFilter(), 0));
        hook.publish(new SubscriptionEvent(EventType.SESSION_UNSUBSCRIBED, msg.getClientID(), msg.getUsername(),
                msg.getTopicFilter(), 0));
    }

    @Override
    public void onSessionLoopError(final Throwable error) {
        LOG.debug("mqtt-webhook: Moquette session loop error seen", error);
    }

    /**
     * A connection refused by the authenticator (called by {@link WebhookAuthenticator} on a Netty I/O thread):
     * a connack with the reason and the disconnected event of that connection. Moquette's authenticator sees
     * neither protocol version nor keepalive: both are written 0.
     */
    void refused(final String clientId, final String username) {
        final Webhook hook = webhook();
        if (hook == null) {
            return;
        }
        hook.publish(new ConnackEvent(clientId, username, 0, 0, ReasonNames.BAD_USERNAME_OR_PASSWORD));
        hook.publish(new DisconnectedEvent(clientId, username, ReasonNames.BAD_USERNAME_OR_PASSWORD));
    }

    /**
     * The open connection of a client id, as far as Moquette's notifications tell: one disconnected event is
     * reported when it ends, however many notifications say so. Changed only inside the map's compute.
     */
    private static final class Connection {
        private final String username;
        private boolean open = true;
        /** After a takeover: a connection-lost notification before this instant is the old connection's. */
        private long oldConnectionLostExpectedUntil;
        /** Lost, waiting {@link #LOST_CONFIRM_MILLIS} for a CONNECT that would make it a takeover. */
        private boolean lossPending;
        /** Moquette's connection-lost notification for this connection has arrived. */
        private boolean lostNotified;

        Connection(final String username) {
            this.username = username;
        }
    }
}
