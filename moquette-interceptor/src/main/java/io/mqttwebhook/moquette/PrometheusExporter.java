package io.mqttwebhook.moquette;

import com.codahale.metrics.MetricRegistry;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The webhook's metrics in Prometheus format at {@code http://<metrics.prometheus.bind>:<metrics.prometheus.port>/metrics},
 * for Moquette, which has no metric registry of its own. Served by the official client (prometheus-metrics 1.x:
 * its {@link DropwizardExports} over the core's registry, its JDK-based {@link HTTPServer}), which names and types
 * every metric as HiveMQ's Prometheus extension does for HiveMQ's registry: meters are counters
 * ({@code io_mqttwebhook_endpoint_<name>_delivered_total}), timers summaries in seconds with quantiles, gauges
 * gauges. So one dashboard serves both brokers. It listens from its own thread; {@link #close()} stops the server
 * and every thread it started.
 */
final class PrometheusExporter implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(PrometheusExporter.class);
    private static final String THREAD = "mqtt-webhook-prometheus";

    private final String bind;
    private final int requestedPort;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    /** Serves the scrapes: one thread, a few waiting requests, more are answered on the server's own thread. */
    private final ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new ArrayBlockingQueue<>(16), r -> daemon(r, THREAD), new ThreadPoolExecutor.CallerRunsPolicy());
    private final Thread starter;
    private final Object lock = new Object();
    private HTTPServer server;
    private boolean closed;

    /** Starts listening on a plugin thread (a port in use is logged, not thrown: the webhook runs without it). */
    PrometheusExporter(final MetricRegistry metrics, final String bind, final int port) {
        this.bind = bind;
        this.requestedPort = port;
        DropwizardExports.builder().dropwizardRegistry(metrics).register(registry);
        this.starter = daemon(this::listen, THREAD + "-start");
        starter.start();
    }

    private static Thread daemon(final Runnable runnable, final String name) {
        final Thread thread = new Thread(runnable, name);
        thread.setDaemon(true);
        return thread;
    }

    private void listen() {
        final HTTPServer started;
        try {
            // the server's dispatcher thread is started from the executor's thread, so it is a daemon too
            started = HTTPServer.builder().hostname(bind).port(requestedPort).registry(registry)
                    .executorService(executor).buildAndStart();
        } catch (final IOException | RuntimeException e) {
            LOG.error("mqtt-webhook: no Prometheus endpoint, cannot listen on {}:{}: {}; the metrics stay available"
                    + " through JMX", bind, requestedPort, e.toString());
            executor.shutdownNow();
            return;
        }
        synchronized (lock) {
            if (!closed) {
                server = started;
                LOG.info("mqtt-webhook: Prometheus metrics at http://{}:{}/metrics", host(bind), started.getPort());
                return;
            }
        }
        started.close();
    }

    private static String host(final String bind) {
        return bind.indexOf(':') >= 0 && !bind.startsWith("[") ? "[" + bind + "]" : bind;
    }

    /** The port it listens on, or 0 while not (yet) listening. */
    int port() {
        synchronized (lock) {
            return server == null ? 0 : server.getPort();
        }
    }

    /** Stops the server and its threads; waits for a start in progress so that nothing is left listening. */
    @Override
    public void close() {
        final HTTPServer running;
        synchronized (lock) {
            closed = true;
            running = server;
            server = null;
        }
        try {
            starter.join(TimeUnit.SECONDS.toMillis(10));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (running != null) {
            running.close(); // stops the dispatcher thread and shuts the executor down
        }
        executor.shutdownNow();
        try {
            if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("mqtt-webhook: a Prometheus scrape is still being answered after the stop");
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
