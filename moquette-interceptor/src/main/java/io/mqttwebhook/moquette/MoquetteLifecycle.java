package io.mqttwebhook.moquette;

import io.moquette.broker.Server;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.metrics.JmxMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.management.JMException;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The webhook's life inside Moquette 0.17, which tells handlers nothing when it starts or stops. The core
 * starts when the handler is constructed (its slow part runs on the plugin's own thread, so events waiting
 * on disk go out at once, with no client connected). The stop is seen one of three ways:
 * <ul>
 *   <li>with the {@link Server} (Moquette passes it to an {@code intercept.handler}; embedding code can too):
 *       a watcher sees the server stop serving ({@code listConnectedClients} refuses once {@code stopServer}
 *       has begun);</li>
 *   <li>without it: once the interceptor threads that called the handler have ended, which
 *       {@code stopServer} does (the handler never throws, so only Moquette ends them);</li>
 *   <li>at JVM exit (standalone Moquette stops in its own shutdown hook): a hook of the plugin's waits for that
 *       stop, then drains.</li>
 * </ul>
 * Either way it waits for the interceptor threads to finish the notifications Moquette still had queued,
 * then drains within {@code shutdown.drain_timeout}. {@link #close()} does it at once, for embedding code.
 */
final class MoquetteLifecycle implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MoquetteLifecycle.class);
    /** How long Moquette's own stop may take (its interceptor pool waits 10 s for queued notifications). */
    private static final long STOP_WAIT_MILLIS = 11_000;
    private static final long SERVER_POLL_MILLIS = 200;

    private final Webhook webhook;
    private final Server server;
    private final JmxMetrics jmx;
    /** Null unless metrics.prometheus.port is set. */
    private final PrometheusExporter prometheus;
    private final ScheduledExecutorService timer;
    private final Set<Thread> interceptorThreads = ConcurrentHashMap.newKeySet();
    private final CountDownLatch closed = new CountDownLatch(1);
    /** The JVM shutdown hook, or null when it could not be registered. */
    private final Thread registeredHook;
    private final Object lock = new Object();
    private boolean closing;

    /**
     * Starts the core (returns at once) and what watches for the stop. {@code server}: the Moquette server,
     * or null when not known; {@code file}: the configuration file to watch for changes, or null.
     */
    MoquetteLifecycle(final WebhookConfig config, final Path file, final Server server) {
        this.server = server;
        this.webhook = Webhook.start(config);
        if (file != null) {
            webhook.watch(file);
        }
        this.jmx = registerJmx();
        this.prometheus = config.prometheusPort().isPresent()
                ? new PrometheusExporter(webhook.metrics().registry(), config.prometheusBind(),
                        config.prometheusPort().getAsInt())
                : null;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "mqtt-webhook-moquette-timer"));
        final Thread watcher = daemon(this::closeWhenMoquetteStops, "mqtt-webhook-moquette-watch");
        watcher.start();
        Thread hook = daemon(this::closeAtJvmShutdown, "mqtt-webhook-moquette-shutdown");
        try {
            Runtime.getRuntime().addShutdownHook(hook);
        } catch (final IllegalStateException | SecurityException e) {
            hook = null;
            LOG.warn("mqtt-webhook: no JVM shutdown hook ({}); the webhook drains when Moquette's stop is seen or"
                    + " close() is called", e.toString());
        }
        this.registeredHook = hook;
    }

    private JmxMetrics registerJmx() {
        try {
            return JmxMetrics.register(webhook.metrics(), "moquette");
        } catch (final JMException | RuntimeException e) {
            LOG.warn("mqtt-webhook: metrics are not available through JMX: {}", e.toString());
            return null;
        }
    }

    private static Thread daemon(final Runnable runnable, final String name) {
        final Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }

    Webhook webhook() {
        return webhook;
    }

    JmxMetrics jmx() {
        return jmx;
    }

    /** The Prometheus endpoint, or null when metrics.prometheus.port is not set. */
    PrometheusExporter prometheus() {
        return prometheus;
    }

    /** Runs {@code task} once, after {@code delayNanos}; at once when stopping. */
    void later(final Runnable task, final long delayNanos) {
        try {
            timer.schedule(task, delayNanos, TimeUnit.NANOSECONDS);
        } catch (final RejectedExecutionException stopping) {
            task.run();
        }
    }

    /** A notification of Moquette's interceptor pool is being handled on this thread (cheap after the first). */
    void seen(final Thread interceptorThread) {
        if (!interceptorThreads.contains(interceptorThread)) {
            interceptorThreads.add(interceptorThread);
        }
    }

    /** Waits for Moquette's stop (without a time limit), then closes. */
    private void closeWhenMoquetteStops() {
        try {
            if (server != null) {
                awaitServer(true, 0);
                awaitServer(false, 0);
                // the server has stopped serving; its interceptor pool still hands over what was queued
                awaitInterceptorThreads(STOP_WAIT_MILLIS);
            } else {
                // the interceptor threads end only when stopServer shuts their pool down: no time limit
                awaitInterceptorThreadsSeen();
                awaitInterceptorThreads(0);
            }
            LOG.info("mqtt-webhook: Moquette has stopped; delivering what is queued");
            close();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** At JVM exit: lets Moquette's own hook stop the server (up to its time), then drains. */
    private void closeAtJvmShutdown() {
        try {
            if (server != null) {
                awaitServer(false, STOP_WAIT_MILLIS);
            }
            awaitInterceptorThreads(STOP_WAIT_MILLIS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        close();
    }

    /** Waits until the server serves ({@code serving}) or not; {@code timeoutMillis} 0: no limit. */
    private void awaitServer(final boolean serving, final long timeoutMillis) throws InterruptedException {
        final long deadline = System.currentTimeMillis() + timeoutMillis;
        while (serving(server) != serving) {
            if (timeoutMillis > 0 && System.currentTimeMillis() >= deadline) {
                return;
            }
            synchronized (lock) {
                if (closing) {
                    return;
                }
                lock.wait(SERVER_POLL_MILLIS);
            }
        }
    }

    /** Moquette 0.17 refuses to list its clients before it started and once its stop has begun. */
    private static boolean serving(final Server server) {
        try {
            server.listConnectedClients();
            return true;
        } catch (final IllegalStateException | NullPointerException notServing) {
            return false;
        }
    }

    /** Without the server: waits until an interceptor thread has called the handler at all. */
    private void awaitInterceptorThreadsSeen() throws InterruptedException {
        synchronized (lock) {
            while (interceptorThreads.isEmpty() && !closing) {
                lock.wait(SERVER_POLL_MILLIS);
            }
        }
    }

    /** Joins every interceptor thread seen, including those seen meanwhile; 0 = no time limit. */
    private void awaitInterceptorThreads(final long timeoutMillis) throws InterruptedException {
        final long deadline = System.currentTimeMillis() + timeoutMillis;
        while (true) {
            final Set<Thread> seen = Set.copyOf(interceptorThreads);
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
            if (interceptorThreads.size() == seen.size()) {
                return;
            }
        }
    }

    /**
     * Drains within {@code shutdown.drain_timeout} and releases every thread, connection and file. Idempotent:
     * a second call (the JVM hook while the watcher drains) waits for the first, so the JVM does not exit in the
     * middle of the drain. Notifications after it are counted dropped.shutdown by the core.
     */
    @Override
    public void close() {
        final boolean first;
        synchronized (lock) {
            first = !closing;
            closing = true;
            lock.notifyAll();
        }
        if (!first) {
            awaitClosed();
            return;
        }
        try {
            if (registeredHook != null && registeredHook != Thread.currentThread()) {
                try {
                    Runtime.getRuntime().removeShutdownHook(registeredHook);
                } catch (final IllegalStateException shuttingDown) {
                    // the hook is running or about to: it waits for this close
                }
            }
            // losses waiting for confirmation are reported now, before the webhook drains
            timer.shutdownNow().forEach(Runnable::run);
            if (jmx != null) {
                jmx.close();
            }
            try {
                webhook.close();
            } finally {
                // after the drain: its last counts can still be scraped while it runs
                if (prometheus != null) {
                    prometheus.close();
                }
            }
        } finally {
            closed.countDown();
        }
    }

    private void awaitClosed() {
        try {
            closed.await();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
