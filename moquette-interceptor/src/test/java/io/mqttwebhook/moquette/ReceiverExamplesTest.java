package io.mqttwebhook.moquette;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.metrics.WebhookMetrics;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The example receivers of {@code examples/receivers/} against what the plugin really sends: signed requests from
 * a real Moquette with the webhook, to the Node receiver (the official npm {@code standardwebhooks} library,
 * installed with {@code npm ci} into target/) and to the Python one (the standard library's hmac). Each accepts
 * every event, handles an event sent again with its webhook-id once, and refuses a body changed after signing.
 * Skipped, with the reason, where node/npm or python3 are missing or the npm install fails.
 */
class ReceiverExamplesTest {

    private static final byte[] KEY = new byte[32];
    private static final String SECRET;

    static {
        new SecureRandom().nextBytes(KEY);
        SECRET = "whsec_" + Base64.getEncoder().encodeToString(KEY);
    }

    @Test
    void nodeReceiverVerifiesWithTheOfficialStandardWebhooksLibrary() throws Exception {
        assumeTrue(onPath("node") && onPath("npm"), "node and npm are not on the PATH");
        final Path source = examples().resolve("node");
        final Path dir = Files.createDirectories(Paths.get("target", "receivers", "node").toAbsolutePath());
        for (final String file : new String[]{"package.json", "package-lock.json", "receiver.js"}) {
            Files.copy(source.resolve(file), dir.resolve(file), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        final Process install = new ProcessBuilder("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
                .directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("npm-ci.log").toFile()).start();
        final boolean finished = install.waitFor(5, TimeUnit.MINUTES);
        if (!finished) {
            install.destroyForcibly();
        }
        assumeTrue(finished && install.exitValue() == 0, () -> "npm ci of standardwebhooks failed (is the npm registry"
                + " reachable?): " + tail(dir.resolve("npm-ci.log")));
        try (Receiver receiver = Receiver.start(dir, "node", "receiver.js")) {
            exercise(receiver);
        }
    }

    @Test
    void pythonReceiverVerifiesWithTheStandardLibrary() throws Exception {
        assumeTrue(onPath("python3"), "python3 is not on the PATH");
        try (Receiver receiver = Receiver.start(examples().resolve("python"), "python3", "receiver.py")) {
            exercise(receiver);
        }
    }

    private static void exercise(final Receiver receiver) throws Exception {
        final WebhookInterceptHandler handler = new WebhookInterceptHandler(ConfigLoader.parse("webhook {\n"
                + "  url = \"http://127.0.0.1:" + receiver.port + "/mqtt\"\n"
                + "  signing.secret = \"" + SECRET + "\"\n"
                + "  events = [ { event = on_client_connack }, { event = on_message_publish },"
                + " { event = on_client_disconnected } ]\n}\n", "webhook.conf").config().orElseThrow());
        try (MoquetteBroker broker = new MoquetteBroker(List.of(handler), null)) {
            final Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3().identifier("signed")
                    .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
            client.connect();
            for (int i = 0; i < 10; i++) {
                client.publishWith().topic("sensors/" + i).qos(MqttQos.AT_LEAST_ONCE)
                        .payload(("reading " + i + " \u00e9").getBytes(StandardCharsets.UTF_8)).send();
            }
            client.disconnect();
            final WebhookMetrics metrics = handler.metrics();
            // every request the plugin signed is accepted: 2xx for all, nothing failed or dropped
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.lines("accepted").size() == 12
                    && metrics.deliveredCount() == 12);
            assertThat(metrics.failedCount()).isZero();
            assertThat(metrics.droppedTotal()).isZero();
        }
        handler.close();
        final List<Map<String, String>> accepted = receiver.lines("accepted");
        assertThat(accepted).extracting(l -> l.get("accepted")).doesNotHaveDuplicates().allMatch(id -> !id.isEmpty());
        assertThat(accepted).extracting(l -> l.get("body")).anyMatch(b -> b.contains("\"payload\":\"reading 3 \u00e9\""))
                .anyMatch(b -> b.contains("\"action\":\"client_connack\""));
        assertThat(receiver.lines("rejected")).isEmpty();

        final Map<String, String> first = accepted.stream().filter(l -> l.get("body").contains("reading 3")).findFirst()
                .orElseThrow();
        final String body = first.get("body");
        final long now = System.currentTimeMillis() / 1000;
        // signed here as the plugin signs: a new id is accepted
        assertThat(post(receiver, "test-new", now, body, body)).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.lines("accepted").size() == 13);
        // the same event again, with the plugin's webhook-id: acknowledged, handled once
        assertThat(post(receiver, first.get("accepted"), now, body, body)).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.lines("duplicate").size() == 1);
        assertThat(receiver.lines("duplicate").get(0)).containsEntry("duplicate", first.get("accepted"));
        // a body changed after signing: refused
        assertThat(post(receiver, "test-tampered", now, body, body.replace("reading 3", "reading 4"))).isEqualTo(401);
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.lines("rejected").size() == 1);
        assertThat(receiver.lines("rejected").get(0)).containsEntry("rejected", "test-tampered")
                .containsEntry("reason", "No matching signature found");
        assertThat(receiver.lines("accepted")).hasSize(13);
    }

    /** POSTs {@code sent} with Standard Webhooks headers signing {@code signed}; returns the status. */
    private static int post(final Receiver receiver, final String id, final long timestamp, final String signed,
                            final String sent) throws Exception {
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
        final String signature = "v1," + Base64.getEncoder().encodeToString(
                mac.doFinal((id + "." + timestamp + "." + signed).getBytes(StandardCharsets.UTF_8)));
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + receiver.port + "/mqtt"))
                .header("content-type", "application/json").header("webhook-id", id)
                .header("webhook-timestamp", Long.toString(timestamp)).header("webhook-signature", signature)
                .POST(HttpRequest.BodyPublishers.ofString(sent, StandardCharsets.UTF_8)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static boolean onPath(final String command) {
        final String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (final String dir : path.split(File.pathSeparator)) {
            if (Files.isExecutable(Paths.get(dir, command))) {
                return true;
            }
        }
        return false;
    }

    private static Path examples() {
        Path dir = Paths.get("").toAbsolutePath();
        while (dir != null && !Files.isDirectory(dir.resolve("examples/receivers"))) {
            dir = dir.getParent();
        }
        assertThat(dir).as("examples/receivers above the working directory").isNotNull();
        return dir.resolve("examples/receivers");
    }

    private static String tail(final Path log) {
        try {
            final List<String> lines = Files.readAllLines(log);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (final IOException e) {
            return e.toString();
        }
    }

    /** A receiver process and the JSON lines it printed. */
    private static final class Receiver implements AutoCloseable {
        final Process process;
        final int port;
        final List<Map<String, String>> printed;

        private Receiver(final Process process, final int port, final List<Map<String, String>> printed) {
            this.process = process;
            this.port = port;
            this.printed = printed;
        }

        static Receiver start(final Path dir, final String... command) throws Exception {
            final ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
            builder.environment().put("WEBHOOK_SECRET", SECRET);
            builder.environment().put("PORT", "0");
            builder.environment().put("HOST", "127.0.0.1");
            final Process process = builder.start();
            final List<Map<String, String>> printed = new CopyOnWriteArrayList<>();
            final List<String> other = new CopyOnWriteArrayList<>();
            final Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = in.readLine()) != null) {
                        if (line.startsWith("{")) {
                            printed.add(fields(line));
                        } else {
                            other.add(line);
                        }
                    }
                } catch (final IOException ended) {
                    // the process ended
                }
            }, "receiver-output");
            reader.setDaemon(true);
            reader.start();
            try {
                await().atMost(Duration.ofSeconds(30)).until(() -> !process.isAlive()
                        || printed.stream().anyMatch(l -> l.containsKey("listening")));
            } catch (final RuntimeException e) {
                process.destroyForcibly();
                throw e;
            }
            assertThat(process.isAlive()).as("the receiver runs; it printed %s", other).isTrue();
            final int port = printed.stream().filter(l -> l.containsKey("listening")).mapToInt(l -> Integer.parseInt(l.get("listening")))
                    .findFirst().orElseThrow();
            return new Receiver(process, port, printed);
        }

        List<Map<String, String>> lines(final String kind) {
            return printed.stream().filter(l -> l.containsKey(kind)).collect(Collectors.toList());
        }

        @Override
        public void close() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }

        /** The top-level string and number fields of one JSON line. */
        private static Map<String, String> fields(final String line) {
            final Map<String, String> fields = new HashMap<>();
            try (JsonParser parser = new JsonFactory().createParser(line)) {
                parser.nextToken();
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    final String name = parser.currentName();
                    final JsonToken value = parser.nextToken();
                    if (value.isScalarValue()) {
                        fields.put(name, value == JsonToken.VALUE_NULL ? "" : parser.getText());
                    } else {
                        parser.skipChildren();
                    }
                }
            } catch (final IOException e) {
                fields.put("unparsed", line);
            }
            return fields;
        }
    }
}
