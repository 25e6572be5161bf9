package io.mqttwebhook.moquette;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import io.mqttwebhook.testing.GrafanaDashboard;
import io.mqttwebhook.testing.PrometheusText;
import io.mqttwebhook.testing.QueueFiles;
import io.mqttwebhook.testing.TestReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipFile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The packaged jar as a standalone Moquette uses it: a separate JVM running {@code io.moquette.broker.Server}
 * with Moquette's own libraries plus this jar on the class path, {@code intercept.handler} in
 * {@code config/moquette.conf} and the webhook in {@code config/webhook.conf}.
 */
class MoquetteJarIT {

    private static final Path JAR = Paths.get(System.getProperty("mqttwebhook.moquette.jar",
            "target/mqtt-webhook-moquette-0.1.0-SNAPSHOT.jar"));
    private static final Path LIB = Paths.get(System.getProperty("mqttwebhook.moquette.lib", "target/moquette-lib"));

    @Test
    void theJarCarriesTheCoreRelocatedAndNothingMoquetteShips() throws Exception {
        try (ZipFile jar = new ZipFile(JAR.toFile())) {
            final List<String> names = jar.stream().map(java.util.zip.ZipEntry::getName).collect(java.util.stream.Collectors.toList());
            assertThat(names).contains("io/mqttwebhook/moquette/WebhookInterceptHandler.class",
                    "io/mqttwebhook/Webhook.class", "io/mqttwebhook/shaded/jackson/core/JsonFactory.class",
                    "io/mqttwebhook/shaded/config/ConfigFactory.class", "io/mqttwebhook/shaded/h2/mvstore/MVStore.class",
                    "io/mqttwebhook/shaded/metrics/Meter.class",
                    "io/mqttwebhook/shaded/prometheus/metrics/exporter/httpserver/HTTPServer.class",
                    "io/mqttwebhook/shaded/prometheus/metrics/instrumentation/dropwizard/DropwizardExports.class",
                    // found by name at run time (protobuf scrapes): shade rewrites the name in the class too
                    "io/mqttwebhook/shaded/prometheus/metrics/expositionformats/internal/PrometheusProtobufWriterImpl.class");
            assertThat(names).noneMatch(n -> n.startsWith("io/netty/") || n.startsWith("org/slf4j/")
                    || n.startsWith("io/moquette/") || n.startsWith("com/fasterxml/") || n.contains("/com/fasterxml/")
                    || n.startsWith("org/apache/hc/") || n.startsWith("com/typesafe/") || n.startsWith("org/h2/")
                    || n.startsWith("com/codahale/") || n.startsWith("io/prometheus/"));
        }
    }

    /** A standalone Moquette JVM and the MQTT port it bound. */
    private static final class Standalone {
        final Process process;
        final int port;

        Standalone(final Process process, final int port) {
            this.process = process;
            this.port = port;
        }
    }

    private static final Pattern BOUND = Pattern.compile("bound TCP MQTT port: (\\d+)");

    /**
     * Moquette's own main in a new JVM, Moquette's lib/ plus the plugin jar on its class path, in {@code home},
     * listening on port 0: the port it bound is read from its log (Moquette writes it at DEBUG).
     */
    private static Standalone startMoquette(final Path home) throws Exception {
        final String classPath = LIB.toAbsolutePath() + File.separator + "*" + File.pathSeparator + JAR.toAbsolutePath();
        final Path log = home.resolve("moquette.log");
        final long logStart = Files.exists(log) ? Files.size(log) : 0;
        final Process moquette = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dorg.slf4j.simpleLogger.log.io.moquette.broker.NewNettyAcceptor=debug",
                "-cp", classPath, "io.moquette.broker.Server")
                .directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        final int[] port = new int[1];
        await().atMost(Duration.ofSeconds(30)).until(() -> {
            final String text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).substring((int) logStart);
            final Matcher m = BOUND.matcher(text);
            if (m.find()) {
                port[0] = Integer.parseInt(m.group(1));
                return true;
            }
            return false;
        });
        return new Standalone(moquette, port[0]);
    }

    private static void configure(final Path home, final String webhook) throws Exception {
        final Path config = Files.createDirectories(home.resolve("config"));
        Files.writeString(config.resolve("moquette.conf"), String.join("\n",
                "host 127.0.0.1", "port 0", "persistence_enabled false", "telemetry_enabled false",
                "allow_anonymous true", "intercept.handler io.mqttwebhook.moquette.WebhookInterceptHandler", ""));
        Files.writeString(config.resolve("webhook.conf"), webhook);
    }

    private static String diskQueue(final Path home, final int endpoint) {
        return "webhook {\n  url = \"http://127.0.0.1:" + endpoint + "/\"\n"
                + "  queue { type = disk, dir = \"" + home.resolve("queue") + "\", sync_interval = 100ms }\n"
                + "  retry.max_attempts = 3\n  events = [ { event = on_message_publish } ]\n}\n";
    }

    /** Publishes {@code count} acknowledged QoS 1 messages as client {@code id}. */
    private static void publish(final int port, final String id, final int count) {
        final Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3().identifier(id)
                .serverHost("127.0.0.1").serverPort(port).buildBlocking();
        client.connect();
        for (int i = 0; i < count; i++) {
            client.publishWith().topic("t").qos(MqttQos.AT_LEAST_ONCE).payload(("m" + i).getBytes(StandardCharsets.UTF_8)).send();
        }
        client.disconnect();
    }

    /** Restarts Moquette with no client connecting and waits until every payload of {@code id} arrived. */
    private static void restartAndAwait(final Path home, final TestReceiver receiver, final String id, final int count)
            throws Exception {
        receiver.up();
        final Standalone second = startMoquette(home);
        try {
            // no client connects: the webhook starts with Moquette and sends what waits in its file
            await().atMost(Duration.ofSeconds(30)).until(() -> receiver.bodiesOf(id).stream()
                    .map(b -> b.substring(b.indexOf("\"payload\""))).distinct().count() == count);
        } finally {
            second.process.destroy();
            second.process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void aKilledMoquetteDeliversEveryAcknowledgedPublishAfterItsRestart(@TempDir final Path home) throws Exception {
        try (TestReceiver receiver = TestReceiver.startDown()) {
            configure(home, diskQueue(home, receiver.port()));
            final Standalone first = startMoquette(home);
            try {
                publish(first.port, "crash", 200);
                // the durable point: a copy of the file, as the crash will leave it, holds every acknowledged publish
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                        .until(() -> QueueFiles.committedEvents(home.resolve("queue")) == 200);
            } finally {
                first.process.destroyForcibly(); // SIGKILL: no shutdown hook runs
                assertThat(first.process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            restartAndAwait(home, receiver, "crash", 200);
        }
    }

    @Test
    void aMoquetteStoppedRightAfterTheLastAcknowledgementDeliversEverythingAfterItsRestart(@TempDir final Path home)
            throws Exception {
        try (TestReceiver receiver = TestReceiver.startDown()) {
            configure(home, diskQueue(home, receiver.port()));
            final Standalone first = startMoquette(home);
            publish(first.port, "sigterm", 500);
            first.process.destroy(); // SIGTERM at once: Moquette's shutdown hook and the webhook's run
            assertThat(first.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            final String log = Files.readString(home.resolve("moquette.log"));
            assertThat(log).contains("mqtt-webhook stopped endpoint default: matched=500 delivered=0 failed=0 dropped=0");
            assertThat(QueueFiles.committedEvents(home.resolve("queue"))).isEqualTo(500);
            restartAndAwait(home, receiver, "sigterm", 500);
        }
    }

    private static final Pattern PROMETHEUS = Pattern.compile("Prometheus metrics at http://127\\.0\\.0\\.1:(\\d+)/metrics");

    @Test
    void standaloneMoquetteServesTheMetricsToPrometheus(@TempDir final Path home) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            configure(home, "webhook {\n  url = \"" + receiver.url("/") + "\"\n  metrics.prometheus.port = 0\n"
                    + "  events = [ { event = on_message_publish } ]\n}\n");
            final Standalone moquette = startMoquette(home);
            try {
                final int[] port = new int[1];
                await().atMost(Duration.ofSeconds(30)).until(() -> {
                    final Matcher m = PROMETHEUS.matcher(Files.readString(home.resolve("moquette.log")));
                    if (m.find()) {
                        port[0] = Integer.parseInt(m.group(1));
                        return true;
                    }
                    return false;
                });
                publish(moquette.port, "scraped", 5);
                await().atMost(Duration.ofSeconds(10)).until(() -> Double.valueOf(5).equals(PrometheusText.parse(PrometheusText
                        .scrape("127.0.0.1", port[0], PrometheusText.PROMETHEUS_ACCEPT).text())
                        .value("io_mqttwebhook_endpoint_default_delivered_total")));
                // OpenMetrics, as Prometheus asks by default
                final PrometheusText.Scrape scrape = PrometheusText.scrape("127.0.0.1", port[0], PrometheusText.PROMETHEUS_ACCEPT);
                assertThat(scrape.contentType).startsWith("application/openmetrics-text");
                assertThat(scrape.text()).contains("# TYPE io_mqttwebhook_endpoint_default_delivered counter\n",
                        "# TYPE io_mqttwebhook_endpoint_default_delivery_latency summary\n",
                        "io_mqttwebhook_endpoint_default_delivery_latency{quantile=\"0.99\"} ",
                        "io_mqttwebhook_endpoint_default_delivery_latency_count 5\n",
                        "# TYPE io_mqttwebhook_endpoint_default_queued gauge\n");
                final PrometheusText.Exposition exposition = PrometheusText.parse(scrape.text());
                assertThat(exposition.shape("io_mqttwebhook_")).containsEntry("io_mqttwebhook_matched_on_message_publish_total",
                        "counter[]");
                assertThat(GrafanaDashboard.load().problemsAgainst(exposition)).isEmpty();
                // protobuf: the relocated client finds its protobuf writer
                final PrometheusText.Scrape protobuf = PrometheusText.scrape("127.0.0.1", port[0], PrometheusText.PROTOBUF_ACCEPT);
                assertThat(protobuf.status).isEqualTo(200);
                assertThat(protobuf.contentType).startsWith("application/vnd.google.protobuf");
            } finally {
                moquette.process.destroy();
                assertThat(moquette.process.waitFor(30, TimeUnit.SECONDS)).as("moquette stopped").isTrue();
            }
            assertThat(Files.readString(home.resolve("moquette.log"))).doesNotContain("Exception");
        }
    }

    @Test
    void standaloneMoquetteWithTheJarInItsClassPath(@TempDir final Path home) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            configure(home, "webhook {\n  url = \"" + receiver.url("/") + "\"\n"
                    + "  events = [ { event = on_message_publish }, { event = on_client_disconnected } ]\n}\n");
            final Standalone moquette = startMoquette(home);
            final int port = moquette.port;
            try {
                final Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3().identifier("standalone")
                        .serverHost("127.0.0.1").serverPort(port).buildBlocking();
                client.connect();
                client.publishWith().topic("a/b").qos(MqttQos.AT_LEAST_ONCE).payload("hi".getBytes(StandardCharsets.UTF_8)).send();
                client.disconnect();
                await().atMost(Duration.ofSeconds(10)).until(() -> receiver.count() == 2);
                // still connected when Moquette stops: its event is delivered during the JVM's shutdown
                MqttClient.builder().useMqttVersion3().identifier("at-shutdown").serverHost("127.0.0.1").serverPort(port)
                        .buildBlocking().connect();
                assertThat(receiver.requests()).extracting(TestReceiver.Request::body).anyMatch(b -> b.matches("\\{\"ts\":\\d{13},\"topic\":\"a/b\",\"retain\":false,"
                        + "\"qos\":1,\"action\":\"message_publish\",\"from_username\":\"undefined\","
                        + "\"from_client_id\":\"standalone\",\"payload\":\"hi\"}"))
                        .contains("{\"reason\":\"normal\",\"username\":\"undefined\",\"clientid\":\"standalone\","
                                + "\"action\":\"client_disconnected\"}");
            } finally {
                moquette.process.destroy(); // SIGTERM: Moquette's shutdown hook stops the server
                assertThat(moquette.process.waitFor(30, TimeUnit.SECONDS)).as("moquette stopped").isTrue();
            }
            assertThat(Files.readString(home.resolve("moquette.log"))).doesNotContain("Unable to invoke");
            assertThat(receiver.requests()).extracting(TestReceiver.Request::body).contains("{\"reason\":\"connection_lost\","
                    + "\"username\":\"undefined\",\"clientid\":\"at-shutdown\",\"action\":\"client_disconnected\"}");
        }
    }
}
