package io.mqttwebhook;

import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.ReloadKeys;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.delivery.Endpoint;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.WebhookEvent;
import io.mqttwebhook.metrics.WebhookMetrics;
import io.mqttwebhook.metrics.WebhookMetrics.DropCause;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The core as adapters see it, and the one state machine of its life: {@link #start} returns at once (a
 * broker thread may call it) and the slow part (opening disk queues, building HTTP clients) runs on a
 * plugin thread; events offered meanwhile wait in the queues. {@link #reconfigure} applies a reloaded
 * configuration, {@link #close} stops: the watcher first, then every endpoint, and everything either of
 * them ever started. Broker threads use {@link #routing()}: match the rules, offer to the endpoints.
 * <pre>
 *   STARTING --start thread done--> RUNNING --close()--> STOPPING --drained--> STOPPED
 *   (close() during STARTING waits for the start to finish, then stops)
 * </pre>
 */
public final class Webhook implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Webhook.class);

    /** Where the webhook is in its life. */
    public enum State { STARTING, RUNNING, STOPPING, STOPPED }

    private final Object lifecycle = new Object();
    private final WebhookMetrics metrics;
    private final ScheduledThreadPoolExecutor timer;
    private final CountDownLatch started = new CountDownLatch(1);
    private final List<Runnable> reloadListeners = new CopyOnWriteArrayList<>();
    private final Thread starter;
    // guarded by lifecycle
    private State state = State.STARTING;
    private final Map<String, Endpoint> endpoints = new LinkedHashMap<>();
    private @Nullable Path watchedFile;
    private byte @Nullable [] watchedContent;
    private @Nullable ConfigWatcher watcher;
    // written under lifecycle, read by broker threads
    private volatile WebhookConfig config;
    private volatile Routing routing;

    private Webhook(final WebhookConfig config, final WebhookMetrics metrics) {
        this.config = config;
        this.metrics = metrics;
        this.timer = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "mqtt-webhook-timer"));
        timer.setRemoveOnCancelPolicy(true);
        for (final EndpointConfig endpoint : config.endpoints()) {
            endpoints.put(endpoint.name(), new Endpoint(endpoint, metrics.endpoint(endpoint.name()), timer));
        }
        this.routing = new Routing(config.router(), new ArrayList<>(endpoints.values()), metrics);
        this.starter = daemon(this::startEndpoints, "mqtt-webhook-start");
    }

    private static Thread daemon(final Runnable runnable, final String name) {
        final Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }

    /**
     * Starts the webhook: returns at once, with events accepted from now on; the queues open and delivery
     * starts on a plugin thread ({@link #awaitStarted} waits for it).
     */
    public static Webhook start(final WebhookConfig config) {
        return start(config, new WebhookMetrics());
    }

    /** As {@link #start(WebhookConfig)}, counting into {@code metrics} (kept across a restart of the core). */
    public static Webhook start(final WebhookConfig config, final WebhookMetrics metrics) {
        final Webhook webhook = new Webhook(config, metrics);
        webhook.starter.start();
        return webhook;
    }

    private void startEndpoints() {
        synchronized (lifecycle) {
            for (final Endpoint endpoint : endpoints.values()) {
                try {
                    endpoint.start();
                } catch (final RuntimeException e) {
                    LOG.error("mqtt-webhook: endpoint {} cannot start; its events stay queued until the stop", endpoint.name(), e);
                }
            }
            state = State.RUNNING;
            startWatcher();
            lifecycle.notifyAll();
        }
        started.countDown();
        for (final String line : config.summary()) {
            LOG.info("mqtt-webhook started: {} (from {})", line, config.source());
        }
    }

    /** Waits until the slow part of the start is done; true when it is. */
    public boolean awaitStarted(final Duration timeout) throws InterruptedException {
        return started.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public State state() {
        synchronized (lifecycle) {
            return state;
        }
    }

    /** The snapshot broker threads match and offer with; see {@link Routing}. */
    public Routing routing() {
        return routing;
    }

    /** Whether any endpoint has a rule for this event type. */
    public boolean wants(final EventType type) {
        return routing.wants(type);
    }

    /** Matches {@code event} and offers it to every endpoint that wants it (see {@link Routing#publish}). */
    public void publish(final WebhookEvent event) {
        routing.publish(event);
    }

    public WebhookMetrics metrics() {
        return metrics;
    }

    public WebhookConfig config() {
        return config;
    }

    /**
     * Applies a reloaded configuration without dropping queued events: rules and endpoints at once (a new
     * endpoint starts, a removed one drains within {@code shutdown.drain_timeout} and counts the rest as
     * dropped.removed, or keeps it in its disk file), and for the endpoints that stay, everything delivery
     * uses for attempts that start from now on. Returns the keys that only take effect at a restart (see
     * {@link ReloadKeys}), for a warning; ignored (empty) once the webhook is stopping.
     */
    public List<String> reconfigure(final WebhookConfig next) {
        final List<Endpoint> removed = new ArrayList<>();
        final List<String> restartOnly;
        synchronized (lifecycle) {
            while (state == State.STARTING) {
                awaitLifecycle();
            }
            if (state != State.RUNNING) {
                return List.of();
            }
            restartOnly = ReloadKeys.restartOnlyChanges(config, next);
            final Map<String, Endpoint> kept = new LinkedHashMap<>();
            for (final EndpointConfig endpoint : next.endpoints()) {
                Endpoint running = endpoints.remove(endpoint.name());
                if (running == null) {
                    running = new Endpoint(endpoint, metrics.endpoint(endpoint.name()), timer);
                    running.start();
                    LOG.info("mqtt-webhook: endpoint {} added: {}", endpoint.name(), endpoint.summary());
                } else {
                    running.reconfigure(endpoint);
                }
                kept.put(endpoint.name(), running);
            }
            removed.addAll(endpoints.values());
            endpoints.clear();
            endpoints.putAll(kept);
            routing = new Routing(next.router(), new ArrayList<>(endpoints.values()), metrics);
            config = next;
            for (final String line : next.summary()) {
                LOG.info("mqtt-webhook reloaded: {} (from {})", line, next.source());
            }
        }
        for (final Endpoint endpoint : removed) {
            LOG.info("mqtt-webhook: endpoint {} removed; delivering what it holds within {} ms", endpoint.name(),
                    next.drainTimeout().toMillis());
            endpoint.stopAccepting(DropCause.REMOVED);
            endpoint.close(System.nanoTime() + next.drainTimeout().toNanos(), DropCause.REMOVED);
            metrics.remove(endpoint.name());
        }
        for (final Runnable listener : reloadListeners) {
            try {
                listener.run();
            } catch (final RuntimeException e) {
                LOG.error("mqtt-webhook: a reload listener failed", e);
            }
        }
        return restartOnly;
    }

    private void awaitLifecycle() {
        try {
            lifecycle.wait();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the webhook to start", e);
        }
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
     * {@code reload.interval} (not when that is 0), from when the start is done until {@link #close()}.
     */
    public void watch(final Path file) {
        final byte[] content = ConfigWatcher.read(file);
        synchronized (lifecycle) {
            watchedFile = file;
            watchedContent = content;
            if (state == State.RUNNING) {
                startWatcher();
            }
        }
    }

    // under lifecycle
    private void startWatcher() {
        if (watchedFile != null && watcher == null && !config.reloadInterval().isZero()) {
            watcher = ConfigWatcher.start(watchedFile, watchedContent, this, config.reloadInterval());
        }
    }

    /**
     * Stops: the watcher (and a check under way) first, then no endpoint takes events any more (later ones
     * are counted dropped.shutdown), each delivers what it can within {@code shutdown.drain_timeout}, and every
     * thread, connection and file is released. A second call waits for the first to finish.
     */
    @Override
    public void close() {
        final ConfigWatcher stopping;
        synchronized (lifecycle) {
            if (state == State.STOPPING || state == State.STOPPED) {
                while (state != State.STOPPED) {
                    awaitLifecycle();
                }
                return;
            }
            while (state == State.STARTING) {
                awaitLifecycle();
            }
            state = State.STOPPING;
            stopping = watcher;
            watcher = null;
        }
        if (stopping != null) {
            stopping.close(); // waits for a check under way; its reconfigure sees STOPPING and does nothing
        }
        final List<Endpoint> all;
        synchronized (lifecycle) {
            all = new ArrayList<>(endpoints.values());
        }
        for (final Endpoint endpoint : all) {
            endpoint.stopAccepting(DropCause.SHUTDOWN);
        }
        final long deadline = System.nanoTime() + config.drainTimeout().toNanos();
        for (final Endpoint endpoint : all) {
            endpoint.close(deadline, DropCause.SHUTDOWN);
        }
        timer.shutdownNow();
        try {
            timer.awaitTermination(2, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.info("mqtt-webhook stopped: matched={} delivered={} failed={} dropped={}", metrics.matchedTotal(),
                metrics.deliveredCount(), metrics.failedCount(), metrics.droppedTotal());
        synchronized (lifecycle) {
            state = State.STOPPED;
            lifecycle.notifyAll();
        }
    }
}
