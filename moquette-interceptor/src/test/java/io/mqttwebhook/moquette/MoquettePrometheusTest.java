package io.mqttwebhook.moquette;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.testing.GrafanaDashboard;
import io.mqttwebhook.testing.PrometheusText;
import io.mqttwebhook.testing.PrometheusText.Exposition;
import io.mqttwebhook.testing.TestReceiver;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.dropwizard.DropwizardExports;
import io.prometheus.client.exporter.HTTPServer;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * {@code metrics.prometheus.port} on an embedded Moquette: after real traffic through the broker to a real HTTP
 * endpoint, the official Prometheus client's endpoint, scraped over HTTP, shows counters as counters, latency
 * percentiles and gauges, with exactly the series names and types that HiveMQ's Prometheus extension
 * (simpleclient_dropwizard 0.16, scraped over HTTP the same way) gives for the same registry; the shipped Grafana
 * dashboard's queries all find their series in it; and the endpoint and its threads end with the plugin.
 */
class MoquettePrometheusTest {

    private static final String WEBHOOK_PREFIX = "io_mqttwebhook_";

    private static long threads(final String name) {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).filter(t -> t.getName().startsWith(name))
                .count();
    }

    @Test
    void scrapedOverHttpWithTheNamesAndTypesHiveMqsPrometheusExtensionGives() throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final long dispatchersBefore = threads("HTTP-Dispatcher");
            final WebhookInterceptHandler handler = new WebhookInterceptHandler(ConfigLoader.parse("webhook {\n"
                    + "  url = \"" + receiver.url("/default") + "\"\n"
                    + "  metrics.prometheus.port = 0\n"
                    + "  events = [ { event = on_client_connack }, { event = on_message_publish, topic = \"a/#\" },"
                    + " { event = on_client_disconnected } ]\n"
                    // a dash in the name: an underscore in the metric names, as on HiveMQ
                    + "  endpoints.audit-log { url = \"" + receiver.url("/audit") + "\","
                    + " events = [ { event = on_message_publish, topic = \"a/#\" } ] }\n"
                    + "}\n", "webhook.conf").config().orElseThrow());
            int port;
            try (MoquetteBroker broker = new MoquetteBroker(List.of(handler), null)) {
                await().atMost(Duration.ofSeconds(10)).until(() -> handler.prometheusPort() != 0);
                port = handler.prometheusPort();
                assertThat(threads("mqtt-webhook-prometheus")).isPositive();

                final Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3().identifier("prom")
                        .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
                client.connect();
                for (int i = 0; i < 20; i++) {
                    client.publishWith().topic("a/" + i).qos(MqttQos.AT_LEAST_ONCE)
                            .payload(("m" + i).getBytes(StandardCharsets.UTF_8)).send();
                }
                client.publishWith().topic("other").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[]{1}).send();
                client.disconnect();
                // what a Prometheus server sees, waited for on the scrape itself
                PrometheusText.awaitValues(port, Map.of("io_mqttwebhook_endpoint_default_delivered_total", 22.0,
                        "io_mqttwebhook_endpoint_audit_log_delivered_total", 20.0));

                final PrometheusText.Scrape text = PrometheusText.scrape("127.0.0.1", port, PrometheusText.TEXT_ACCEPT);
                assertThat(text.status).isEqualTo(200);
                assertThat(text.contentType).startsWith("text/plain; version=0.0.4");
                final Exposition moquette = PrometheusText.parse(text.text());
                assertThat(text.text()).contains(
                        "# TYPE io_mqttwebhook_endpoint_default_delivered_total counter\n"
                                + "io_mqttwebhook_endpoint_default_delivered_total 22.0\n",
                        "# TYPE io_mqttwebhook_endpoint_default_delivery_latency summary\n"
                                + "io_mqttwebhook_endpoint_default_delivery_latency{quantile=\"0.5\"} ",
                        "io_mqttwebhook_endpoint_default_delivery_latency_count 22\n",
                        "# TYPE io_mqttwebhook_endpoint_default_queued gauge\nio_mqttwebhook_endpoint_default_queued 0.0\n",
                        "# TYPE io_mqttwebhook_matched_on_message_publish_total counter\n"
                                + "io_mqttwebhook_matched_on_message_publish_total 20.0\n");
                assertThat(moquette.value("io_mqttwebhook_endpoint_default_up")).isEqualTo(1.0);
                assertThat(moquette.value("io_mqttwebhook_endpoint_default_circuit_state")).isEqualTo(0.0);
                assertThat(moquette.value("io_mqttwebhook_endpoint_audit_log_dropped_queue_full_total")).isEqualTo(0.0);
                // latency in seconds: from the event to the 2xx, on this machine well under a minute, above zero
                assertThat(moquette.value("io_mqttwebhook_endpoint_default_delivery_latency", "quantile", "0.99"))
                        .isBetween(0.0, 60.0);
                assertThat(moquette.value("io_mqttwebhook_endpoint_default_request_duration", "quantile", "0.99"))
                        .isGreaterThan(0.0).isLessThan(60.0);

                // every Dropwizard metric of the core, mapped as HiveMQ's extension maps them, and nothing else
                final SortedMap<String, String> shape = moquette.shape(WEBHOOK_PREFIX);
                assertThat(shape).isEqualTo(PrometheusText.expectedShape(handler.metrics().registry(), "io.mqttwebhook."));
                assertThat(shape).containsEntry("io_mqttwebhook_endpoint_audit_log_delivered_total", "counter[]")
                        .containsEntry("io_mqttwebhook_endpoint_default_delivery_latency", "summary[quantile]")
                        .containsEntry("io_mqttwebhook_endpoint_default_queue_oldest_age_ms", "gauge[]");

                // HiveMQ's Prometheus extension: simpleclient_dropwizard 0.16's DropwizardExports over a registry
                // holding these same metric objects (MetricsBridge), served by simpleclient's HTTP handler
                final CollectorRegistry hivemqStyle = new CollectorRegistry(true);
                hivemqStyle.register(new DropwizardExports(handler.metrics().registry()));
                final HTTPServer hivemqServer = new HTTPServer(new InetSocketAddress("127.0.0.1", 0), hivemqStyle, true);
                try {
                    for (final String accept : new String[]{PrometheusText.TEXT_ACCEPT, PrometheusText.PROMETHEUS_ACCEPT}) {
                        final SortedMap<String, String> hivemq = PrometheusText.parse(PrometheusText.scrape("127.0.0.1",
                                hivemqServer.getPort(), accept).text()).shape(WEBHOOK_PREFIX);
                        final SortedMap<String, String> ours = PrometheusText.parse(PrometheusText.scrape("127.0.0.1",
                                port, accept).text()).shape(WEBHOOK_PREFIX);
                        assertThat(ours).as("Moquette's series vs HiveMQ's extension's, Accept: " + accept).isEqualTo(hivemq);
                    }
                } finally {
                    hivemqServer.close();
                }

                // what Prometheus asks for by default (OpenMetrics), and protobuf, which a Prometheus with native
                // histograms asks for first: both served
                final PrometheusText.Scrape openMetrics = PrometheusText.scrape("127.0.0.1", port, PrometheusText.PROMETHEUS_ACCEPT);
                assertThat(openMetrics.contentType).startsWith("application/openmetrics-text; version=1.0.0");
                assertThat(openMetrics.text()).contains("io_mqttwebhook_endpoint_default_delivered_total 22.0\n").endsWith("# EOF\n");
                final PrometheusText.Scrape protobuf = PrometheusText.scrape("127.0.0.1", port, PrometheusText.PROTOBUF_ACCEPT);
                assertThat(protobuf.status).isEqualTo(200);
                assertThat(protobuf.contentType).startsWith("application/vnd.google.protobuf");
                assertThat(new String(protobuf.body, StandardCharsets.ISO_8859_1)).contains("io_mqttwebhook_endpoint_default_delivered");

                // the dashboard cannot name a series the plugin does not export
                final GrafanaDashboard dashboard = GrafanaDashboard.load();
                assertThat(dashboard.endpoints(moquette)).containsExactly("audit_log", "default");
                assertThat(dashboard.problemsAgainst(moquette)).isEmpty();

                capture(text.text());
            }
            handler.close();
            assertThatThrownBy(() -> PrometheusText.scrape("127.0.0.1", port, PrometheusText.TEXT_ACCEPT))
                    .isInstanceOf(ConnectException.class);
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
                assertThat(threads("mqtt-webhook-prometheus")).isZero();
                assertThat(threads("HTTP-Dispatcher")).isEqualTo(dispatchersBefore);
            });
        }
    }

    @Test
    void offUnlessAPortIsGiven() throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final WebhookInterceptHandler handler = new WebhookInterceptHandler(ConfigLoader.parse("webhook {\n  url = \""
                    + receiver.url("/") + "\"\n  events = [ { event = on_message_publish } ]\n}\n", "t").config().orElseThrow());
            try (MoquetteBroker broker = new MoquetteBroker(List.of(handler), null)) {
                assertThat(handler.jmx()).isNotNull();
                assertThat(handler.prometheusPort()).isZero();
                assertThat(threads("mqtt-webhook-prometheus")).isZero();
            }
            handler.close();
        }
    }

    /** Keeps the exposition for docs/metrics.md (target/, not committed). */
    private static void capture(final String exposition) throws Exception {
        final Path dir = Files.createDirectories(Paths.get("target", "expositions"));
        Files.writeString(dir.resolve("moquette.txt"), exposition);
    }
}
