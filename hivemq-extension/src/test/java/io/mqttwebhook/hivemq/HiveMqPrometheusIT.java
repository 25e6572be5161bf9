package io.mqttwebhook.hivemq;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.extension.sdk.api.services.Services;
import io.mqttwebhook.testing.GrafanaDashboard;
import io.mqttwebhook.testing.PrometheusText;
import io.mqttwebhook.testing.PrometheusText.Exposition;
import io.mqttwebhook.testing.TestReceiver;
import io.prometheus.client.CollectorRegistry;
import io.prometheus.client.dropwizard.DropwizardExports;
import io.prometheus.client.exporter.HTTPServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.SortedMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What HiveMQ's Prometheus extension makes of the webhook's metrics: the packaged extension in a running HiveMQ,
 * real traffic through it to a real HTTP endpoint, then HiveMQ's own registry ({@code Services.metricRegistry()})
 * scraped over HTTP exactly as that extension serves it (simpleclient_dropwizard 0.16's {@code DropwizardExports}
 * in a {@code CollectorRegistry}, simpleclient's HTTP metric handler). Meters come out as counters with
 * {@code _total}, timers as summaries with quantiles in seconds, gauges as gauges; the shipped dashboard's queries
 * find every series they name.
 */
class HiveMqPrometheusIT {

    @TempDir
    static Path dir;

    @Test
    void hivemqsPrometheusExtensionShowsCountersSummariesAndGauges() throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final HiveMqBroker broker = new HiveMqBroker(dir, "webhook {\n"
                    + "  url = \"" + receiver.url("/default") + "\"\n"
                    + "  events = [ { event = on_client_connack }, { event = on_message_publish, topic = \"a/#\" },"
                    + " { event = on_client_disconnected } ]\n"
                    + "  endpoints.audit-log { url = \"" + receiver.url("/audit") + "\","
                    + " events = [ { event = on_message_publish, topic = \"a/#\" } ] }\n"
                    + "}\n");
            final CollectorRegistry registry = new CollectorRegistry(true);
            registry.register(new DropwizardExports(Services.metricRegistry()));
            final HTTPServer extension = new HTTPServer(new InetSocketAddress("127.0.0.1", 0), registry, true);
            try {
                final Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier("prom")
                        .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
                client.connect();
                for (int i = 0; i < 20; i++) {
                    client.publishWith().topic("a/" + i).qos(MqttQos.AT_LEAST_ONCE)
                            .payload(("m" + i).getBytes(StandardCharsets.UTF_8)).send();
                }
                client.publishWith().topic("other").qos(MqttQos.AT_LEAST_ONCE).payload(new byte[]{1}).send();
                client.disconnect();
                final int port = extension.getPort();
                PrometheusText.awaitValues(port, Map.of("io_mqttwebhook_endpoint_default_delivered_total", 22.0,
                        "io_mqttwebhook_endpoint_audit_log_delivered_total", 20.0));

                final PrometheusText.Scrape text = PrometheusText.scrape("127.0.0.1", port, PrometheusText.TEXT_ACCEPT);
                assertThat(text.contentType).startsWith("text/plain; version=0.0.4");
                final Exposition hivemq = PrometheusText.parse(text.text());
                // counters as counters: rate() works on them
                assertThat(text.text()).contains(
                        "# TYPE io_mqttwebhook_endpoint_default_delivered_total counter\n"
                                + "io_mqttwebhook_endpoint_default_delivered_total 22.0\n",
                        "# TYPE io_mqttwebhook_matched_on_message_publish_total counter\n"
                                + "io_mqttwebhook_matched_on_message_publish_total 20.0\n",
                        // latency as a summary with percentiles, in seconds
                        "# TYPE io_mqttwebhook_endpoint_default_delivery_latency summary\n"
                                + "io_mqttwebhook_endpoint_default_delivery_latency{quantile=\"0.5\",} ",
                        "io_mqttwebhook_endpoint_default_delivery_latency{quantile=\"0.95\",} ",
                        "io_mqttwebhook_endpoint_default_delivery_latency{quantile=\"0.99\",} ",
                        "io_mqttwebhook_endpoint_default_delivery_latency_count 22.0\n",
                        // levels as gauges
                        "# TYPE io_mqttwebhook_endpoint_default_queued gauge\nio_mqttwebhook_endpoint_default_queued 0.0\n",
                        "# TYPE io_mqttwebhook_endpoint_default_up gauge\nio_mqttwebhook_endpoint_default_up 1.0\n");
                assertThat(hivemq.value("io_mqttwebhook_endpoint_default_request_duration", "quantile", "0.99"))
                        .isGreaterThan(0.0).isLessThan(60.0);
                // HiveMQ's real registry: the broker's own metrics beside the webhook's
                assertThat(hivemq.shape("com_hivemq_")).isNotEmpty();

                // every webhook metric in HiveMQ's registry, mapped the one way both brokers' exporters map it (the
                // Moquette test holds its exporter to the same mapping): no counter left as a gauge
                final SortedMap<String, String> shape = hivemq.shape("io_mqttwebhook_");
                assertThat(shape).isEqualTo(PrometheusText.expectedShape(Services.metricRegistry(), "io.mqttwebhook."));
                assertThat(shape.values()).allMatch(t -> t.equals("counter[]") || t.equals("gauge[]")
                        || t.startsWith("summary["));
                assertThat(shape).containsEntry("io_mqttwebhook_endpoint_audit_log_dropped_queue_full_total", "counter[]")
                        .containsEntry("io_mqttwebhook_reload_applied_total", "counter[]")
                        .containsEntry("io_mqttwebhook_endpoint_default_circuit_state", "gauge[]");

                // what Prometheus asks for by default: OpenMetrics, the same series
                final PrometheusText.Scrape openMetrics = PrometheusText.scrape("127.0.0.1", port, PrometheusText.PROMETHEUS_ACCEPT);
                assertThat(openMetrics.contentType).startsWith("application/openmetrics-text");
                assertThat(PrometheusText.parse(openMetrics.text()).shape("io_mqttwebhook_")).isEqualTo(shape);

                // the dashboard cannot name a series HiveMQ does not export
                final GrafanaDashboard dashboard = GrafanaDashboard.load();
                assertThat(dashboard.endpoints(hivemq)).containsExactly("audit_log", "default");
                assertThat(dashboard.problemsAgainst(hivemq)).isEmpty();

                final Path captured = Files.createDirectories(Paths.get("target", "expositions"));
                Files.writeString(captured.resolve("hivemq.txt"), text.text());
            } finally {
                extension.close();
                broker.close();
            }
        }
    }
}
