package io.mqttwebhook.demo;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5AsyncClient;
import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.client.parameter.Listener;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The README's run command: a HiveMQ CE broker on 127.0.0.1 (port 1883 by default) with the packaged
 * mqtt-webhook extension loaded from its folder, a default configuration posting every event HiveMQ shows
 * to a small receiver started here, and each received webhook printed. Ctrl-C stops everything.
 * <p>
 * Options: {@code --port=N} (MQTT port), {@code --config=FILE} (your own webhook.conf or nanomq.conf
 * instead of the default; then no receiver is started), {@code --receiver-port=N} (default 8080),
 * {@code --no-webhook} (the same broker without the extension; the benchmarks compare the two),
 * {@code --smoke} (free ports unless given; one client publishes one QoS 1 message, and the demo exits 0
 * once the receiver got its {@code message_publish} webhook, or 1 after {@value #SMOKE_TIMEOUT_SECONDS} s).
 * Several options may come in one argument ({@code -Ddemo.args="--port=1884 --smoke"}).
 */
public final class HiveMqDemo {

    static final long SMOKE_TIMEOUT_SECONDS = 60;
    static final long SMOKE_STOP_TIMEOUT_SECONDS = 30;
    private static final String SMOKE_TOPIC = "mqtt-webhook/smoke";

    private HiveMqDemo() {
    }

    public static void main(final String[] args) throws Exception {
        final long start = System.nanoTime();
        Integer port = null;
        Integer receiverPort = null;
        Path userConfig = null;
        boolean withWebhook = true;
        boolean smoke = false;
        for (final String arg : options(args)) {
            if (arg.startsWith("--port=")) {
                port = Integer.parseInt(arg.substring(7));
            } else if (arg.startsWith("--receiver-port=")) {
                receiverPort = Integer.parseInt(arg.substring(16));
            } else if (arg.equals("--no-webhook")) {
                withWebhook = false; // the same broker without the extension, for comparisons
            } else if (arg.startsWith("--config=")) {
                userConfig = Paths.get(arg.substring(9)).toAbsolutePath();
            } else if (arg.equals("--smoke")) {
                smoke = true;
            } else {
                System.err.println("unknown option " + arg
                        + "; options: --port=N --config=FILE --receiver-port=N --no-webhook --smoke");
                System.exit(2);
            }
        }
        if (smoke && (!withWebhook || userConfig != null)) {
            System.err.println("--smoke checks the default configuration against its own receiver:"
                    + " it cannot be combined with --config or --no-webhook");
            System.exit(2);
        }
        // the smoke run must not collide with a demo (or anything else) already on 1883/8080
        final int mqttPort = port != null ? port : smoke ? 0 : 1883;
        final int hookPort = receiverPort != null ? receiverPort : smoke ? 0 : 8080;
        final Path packaged = Paths.get(System.getProperty("mqttwebhook.extension.folder",
                "hivemq-extension/target/mqtt-webhook-0.1.0-SNAPSHOT/mqtt-webhook"));
        if (!Files.isDirectory(packaged)) {
            System.err.println("the packaged extension is missing at " + packaged + " (build it with mvn package)");
            System.exit(1);
        }
        final Path home = Files.createTempDirectory("mqtt-webhook-demo");
        final Path extension = home.resolve("extensions").resolve("mqtt-webhook");
        if (!withWebhook) {
            Files.createDirectories(home.resolve("extensions"));
        } else {
            copy(packaged, extension);
        }
        final SmokeWatch watch = smoke ? new SmokeWatch() : null;
        final HttpServer receiver = withWebhook && userConfig == null
                ? startReceiver(hookPort, watch == null ? body -> { } : watch::accept) : null;
        final Path conf = extension.resolve("conf").resolve("webhook.conf");
        if (!withWebhook) {
            System.out.println("no webhook: the extension is not installed");
        } else if (userConfig != null) {
            Files.copy(userConfig, conf, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } else {
            Files.writeString(conf, "webhook {\n"
                    + "  url = \"http://127.0.0.1:" + receiver.getAddress().getPort() + "/webhook\"\n"
                    + "  events = [\n"
                    + "    { event = on_client_connect }\n    { event = on_client_connack }\n"
                    + "    { event = on_client_connected }\n    { event = on_client_disconnected }\n"
                    + "    { event = on_client_subscribe }\n    { event = on_client_unsubscribe }\n"
                    + "    { event = on_session_subscribed }\n    { event = on_session_unsubscribed }\n"
                    + "    { event = on_message_publish }\n"
                    + "    { event = on_message_delivered }\n    { event = on_message_acked }\n"
                    + "  ]\n}\n");
        }
        final Path config = Files.createDirectories(home.resolve("conf"));
        Files.writeString(config.resolve("config.xml"), "<hivemq>\n"
                + "  <listeners><tcp-listener><port>" + mqttPort + "</port><bind-address>127.0.0.1</bind-address></tcp-listener></listeners>\n"
                + "  <anonymous-usage-statistics><enabled>false</enabled></anonymous-usage-statistics>\n"
                + "</hivemq>\n");
        final EmbeddedHiveMQ hivemq = EmbeddedHiveMQ.builder()
                .withConfigurationFolder(config)
                .withDataFolder(Files.createDirectories(home.resolve("data")))
                .withExtensionsFolder(home.resolve("extensions"))
                .withEmbeddedExtension(EmbeddedExtension.builder().withId("allow-all").withName("demo: allow every client")
                        .withVersion("1").withAuthor("mqtt-webhook demo").withExtensionMain(new AllowAll()).build())
                .build();
        // a smoke run must end: its stop is bounded; Ctrl-C waits as long as the webhook's drain_timeout
        final Stopper stopper = new Stopper(hivemq, receiver, home, smoke ? SMOKE_STOP_TIMEOUT_SECONDS : 0);
        // Ctrl-C, kill, or the end of a smoke run: whichever comes first stops everything, once
        Runtime.getRuntime().addShutdownHook(new Thread(stopper::stop));
        if (smoke) {
            System.exit(smoke(hivemq, receiver, watch, stopper, start));
        }
        hivemq.start().join();
        final int listening = listenerPort();
        System.out.println();
        System.out.println("HiveMQ CE " + (withWebhook ? "with" : "without") + " mqtt-webhook is listening on 127.0.0.1:"
                + listening + (withWebhook ? "; webhook configuration: " + (userConfig == null ? conf : userConfig) : ""));
        if (receiver != null) {
            System.out.println("every webhook request is printed below. Try:  mosquitto_pub -h 127.0.0.1 -p " + listening
                    + " -t a/b/c -m hi     (Ctrl-C stops)");
        }
        stopper.stopped.await();
    }

    /**
     * Starts the broker, publishes one QoS 1 message with a real client and waits for its
     * {@code message_publish} webhook; then stops the broker. Returns the exit code: 0 when the webhook
     * arrived within {@value #SMOKE_TIMEOUT_SECONDS} s of {@code started} and the broker stopped, 1 otherwise.
     */
    private static int smoke(final EmbeddedHiveMQ hivemq, final HttpServer receiver, final SmokeWatch watch,
                             final Stopper stopper, final long started) {
        final long deadline = started + TimeUnit.SECONDS.toNanos(SMOKE_TIMEOUT_SECONDS);
        String step = "HiveMQ did not start";
        int mqttPort = -1;
        Mqtt5AsyncClient client = null;
        boolean received = false;
        try {
            await(hivemq.start(), deadline);
            mqttPort = listenerPort();
            System.out.println("smoke: HiveMQ CE with mqtt-webhook is listening on 127.0.0.1:" + mqttPort
                    + ", the receiver on 127.0.0.1:" + receiver.getAddress().getPort());
            client = MqttClient.builder().useMqttVersion5().identifier("mqtt-webhook-smoke")
                    .serverHost("127.0.0.1").serverPort(mqttPort).buildAsync();
            step = "the MQTT client did not connect";
            await(client.connect(), deadline);
            step = "the QoS 1 publish was not acknowledged";
            await(client.publishWith().topic(SMOKE_TOPIC).qos(MqttQos.AT_LEAST_ONCE)
                    .payload(watch.payload.getBytes(StandardCharsets.UTF_8)).send(), deadline);
            step = "the receiver got no message_publish webhook for the publish";
            received = watch.received.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (final TimeoutException e) {
            // step says how far it got
        } catch (final ExecutionException e) {
            step += ": " + e.getCause();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            step += ": interrupted";
        } catch (final RuntimeException e) {
            step += ": " + e;
        }
        final long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        if (client != null && received) {
            try {
                await(client.disconnect(), System.nanoTime() + TimeUnit.SECONDS.toNanos(10));
            } catch (final Exception e) {
                System.out.println("smoke: the client did not disconnect cleanly (" + e + "); stopping anyway");
            }
        }
        if (received) {
            System.out.println("SMOKE OK: the message_publish webhook for the QoS 1 publish on " + SMOKE_TOPIC
                    + " (payload " + watch.payload + ") reached the receiver " + millis + " ms after the start;"
                    + " stopping HiveMQ");
        } else {
            System.out.println("SMOKE FAILED after " + millis + " ms (limit " + SMOKE_TIMEOUT_SECONDS + " s): " + step
                    + " (MQTT port " + (mqttPort < 0 ? "unknown" : mqttPort) + ", payload " + watch.payload + ")."
                    + " The receiver got " + watch.seen.size() + " request(s)" + (watch.seen.isEmpty() ? "." : ":"));
            watch.seen.forEach(body -> System.out.println("    " + body));
        }
        if (!stopper.stop()) {
            System.out.println("SMOKE FAILED: HiveMQ did not stop within " + SMOKE_STOP_TIMEOUT_SECONDS + " s");
            return 1;
        }
        return received ? 0 : 1;
    }

    private static <T> T await(final Future<T> future, final long deadline)
            throws ExecutionException, InterruptedException, TimeoutException {
        return future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** The port HiveMQ bound (the configured one, or the free one it chose for port 0). */
    private static int listenerPort() {
        for (final Listener listener : Services.adminService().getServerInformation().getListener()) {
            return listener.getPort();
        }
        throw new IllegalStateException("HiveMQ has no listener");
    }

    /**
     * The options, also when several come in one argument: exec:exec passes {@code -Ddemo.args="--a --b"} as
     * one. An argument is split only where a space precedes {@code --}, so a path with spaces stays whole.
     */
    static List<String> options(final String[] args) {
        final List<String> options = new ArrayList<>();
        for (final String arg : args) {
            for (final String option : arg.strip().split("\\s+(?=--)")) {
                if (!option.isEmpty()) {
                    options.add(option);
                }
            }
        }
        return options;
    }

    private static HttpServer startReceiver(final int port, final Consumer<String> onBody) throws IOException {
        final HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                final String text = new String(body.readAllBytes(), StandardCharsets.UTF_8);
                System.out.println(LocalTime.now() + "  " + exchange.getRequestMethod() + " "
                        + exchange.getRequestURI() + "  webhook-id=" + exchange.getRequestHeaders().getFirst("webhook-id"));
                System.out.println("    " + text);
                onBody.accept(text);
            }
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.start();
        return server;
    }

    private static void copy(final Path from, final Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (final Path file : (Iterable<Path>) files::iterator) {
                final Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
    }

    private static void deleteQuietly(final Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (final IOException ignored) {
            // a temp folder
        }
    }

    /** What the smoke run waits for: the message_publish body carrying its own payload. */
    static final class SmokeWatch {
        final String payload = "smoke-" + UUID.randomUUID();
        final CountDownLatch received = new CountDownLatch(1);
        final List<String> seen = new CopyOnWriteArrayList<>();

        void accept(final String body) {
            seen.add(body);
            if (body.contains("\"action\":\"message_publish\"") && body.contains("\"payload\":\"" + payload + "\"")) {
                received.countDown();
            }
        }
    }

    /** Stops HiveMQ (the webhook drains what is queued), then the receiver, once; a second call waits for the first. */
    static final class Stopper {
        final CountDownLatch stopped = new CountDownLatch(1);
        private final EmbeddedHiveMQ hivemq;
        private final HttpServer receiver;
        private final Path home;
        private final long timeoutSeconds;
        private boolean done;
        private boolean clean;

        /** {@code timeoutSeconds} 0: wait for HiveMQ's stop however long it takes. */
        Stopper(final EmbeddedHiveMQ hivemq, final HttpServer receiver, final Path home, final long timeoutSeconds) {
            this.hivemq = hivemq;
            this.receiver = receiver;
            this.home = home;
            this.timeoutSeconds = timeoutSeconds;
        }

        /** Returns whether HiveMQ stopped (within the timeout, if there is one). */
        synchronized boolean stop() {
            if (done) {
                return clean;
            }
            done = true;
            System.out.println("stopping HiveMQ (the webhook drains what is queued) ...");
            try {
                if (timeoutSeconds > 0) {
                    hivemq.stop().get(timeoutSeconds, TimeUnit.SECONDS);
                } else {
                    hivemq.stop().get();
                }
                clean = true;
            } catch (final TimeoutException | ExecutionException e) {
                System.out.println("HiveMQ did not stop cleanly: " + e);
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (receiver != null) {
                receiver.stop(0);
            }
            deleteQuietly(home);
            stopped.countDown();
            return clean;
        }
    }

    /** The demo lets every client in (HiveMQ CE refuses all clients when no authenticator is installed). */
    static final class AllowAll implements ExtensionMain {
        @Override
        public void extensionStart(final ExtensionStartInput input, final ExtensionStartOutput output) {
            final SimpleAuthenticator allow = (in, out) -> out.authenticateSuccessfully();
            Services.securityRegistry().setAuthenticatorProvider(providerInput -> allow);
        }

        @Override
        public void extensionStop(final ExtensionStopInput input, final ExtensionStopOutput output) {
        }
    }
}
