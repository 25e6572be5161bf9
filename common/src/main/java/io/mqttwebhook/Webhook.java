package io.mqttwebhook;

import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.config.QueueType;
import io.mqttwebhook.delivery.DiskEventQueue;
import io.mqttwebhook.delivery.Dispatcher;
import io.mqttwebhook.delivery.EventQueue;
import io.mqttwebhook.delivery.MemoryEventQueue;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.WebhookEvent;
import io.mqttwebhook.metrics.WebhookMetrics;
import io.mqttwebhook.metrics.WebhookMetrics.DropCause;
import io.mqttwebhook.rule.RuleSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The core as adapters see it: started once with a configuration, fed events from broker callbacks with
 * {@link #publish}, closed when the broker stops. {@link #publish} only matches the rules and offers the
 * event to the bounded queue; serialization and HTTP run on the webhook's own threads.
 */
public final class Webhook implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Webhook.class);

    private volatile WebhookConfig config;
    private volatile RuleSet rules;
    private final WebhookMetrics metrics;
    private final EventQueue queue;
    private final Dispatcher dispatcher;
    private volatile boolean accepting = true;
    private volatile ConfigWatcher watcher;
    private final List<Runnable> reloadListeners = new CopyOnWriteArrayList<>();
    private boolean closed;

    private Webhook(final WebhookConfig config, final WebhookMetrics metrics) {
        this.config = config;
        this.rules = config.ruleSet();
        this.metrics = metrics;
        this.queue = config.queueType() == QueueType.DISK
                ? new DiskEventQueue(config.queueDir(), config.queueMaxBytes(), config.queueOverflow(),
                        config.queueSyncInterval(), config.encoding(), metrics)
                : new MemoryEventQueue(config.queueCapacity(), config.queueOverflow(), metrics);
        this.dispatcher = new Dispatcher(config, queue, metrics);
    }

    /** Starts delivery threads and the HTTP client; logs one INFO line saying what was loaded. */
    public static Webhook start(final WebhookConfig config) {
        return start(config, new WebhookMetrics());
    }

    /** As {@link #start(WebhookConfig)}, counting into {@code metrics} (kept across a restart of the core). */
    public static Webhook start(final WebhookConfig config, final WebhookMetrics metrics) {
        final Webhook webhook = new Webhook(config, metrics);
        LOG.info("mqtt-webhook started: {} (from {})", config.summary(), config.source());
        return webhook;
    }

    /** Whether any rule wants events of this type: adapters skip building events that nobody wants. */
    public boolean wants(final EventType type) {
        return rules.wants(type);
    }

    /**
     * Whether a rule matches an event of {@code type} with {@code topic} (null for events without one).
     * Adapters ask this before copying a payload, then hand the event to {@link #offerMatched}.
     */
    public boolean matches(final EventType type, final String topic) {
        return rules.matches(type, topic);
    }

    /**
     * Called on a broker thread: matches the event against the rules and, when one matches, offers it to the
     * queue. Constant time, never blocks; a full queue drops by the overflow policy and counts it.
     */
    public void publish(final WebhookEvent event) {
        if (rules.matches(event.type(), event.topic())) {
            offerMatched(event);
        }
    }

    /** As {@link #publish} for an event whose type and topic the caller has just {@link #matches matched}. */
    public void offerMatched(final WebhookEvent event) {
        metrics.matched(event.type());
        if (!accepting) {
            metrics.dropped(DropCause.SHUTDOWN, 1);
            return;
        }
        queue.offer(event);
    }

    public WebhookMetrics metrics() {
        return metrics;
    }

    public WebhookConfig config() {
        return config;
    }

    /**
     * Applies a reloaded configuration (see {@link ConfigWatcher}) without dropping queued events: the rules
     * at once, and everything delivery uses for attempts that start from now on. Returns the changed keys
     * that only take effect at a restart (the queue and the ordering mode), for a warning.
     */
    public List<String> reconfigure(final WebhookConfig next) {
        final WebhookConfig previous = config;
        final List<String> restartOnly = new ArrayList<>();
        if (next.queueCapacity() != previous.queueCapacity()) {
            restartOnly.add("queue.capacity");
        }
        if (next.queueOverflow() != previous.queueOverflow()) {
            restartOnly.add("queue.overflow");
        }
        if (next.queueType() != previous.queueType()) {
            restartOnly.add("queue.type");
        }
        if (next.ordering() != previous.ordering()) {
            restartOnly.add("ordering");
        }
        dispatcher.reconfigure(next);
        rules = next.ruleSet();
        config = next;
        LOG.info("mqtt-webhook reloaded: {} (from {})", next.summary(), next.source());
        for (final Runnable listener : reloadListeners) {
            try {
                listener.run();
            } catch (final RuntimeException e) {
                LOG.error("mqtt-webhook: a reload listener failed", e);
            }
        }
        return restartOnly;
    }

    /**
     * Runs {@code listener} after every applied reload, on the thread that applied it: an adapter follows
     * the event types the new rules want (see {@link #wants}).
     */
    public void onReload(final Runnable listener) {
        reloadListeners.add(listener);
    }

    /**
     * Live reload of {@code file}, the file this webhook's configuration came from, every
     * {@code reload.interval} (not when that is 0). Stopped by {@link #close()}.
     */
    public void watch(final Path file) {
        if (!config.reloadInterval().isZero()) {
            watcher = ConfigWatcher.start(file, this, config.reloadInterval());
        }
    }

    /** Stops taking events, drains within {@code shutdown.drain_timeout}, releases threads and connections. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        final ConfigWatcher running = watcher;
        if (running != null) {
            running.close();
        }
        accepting = false;
        dispatcher.close();
        queue.close();
        LOG.info("mqtt-webhook stopped: matched={} delivered={} failed={} dropped={}", metrics.matchedTotal(),
                metrics.deliveredCount(), metrics.failedCount(), metrics.droppedTotal());
    }
}
