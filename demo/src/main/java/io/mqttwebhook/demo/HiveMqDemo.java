package io.mqttwebhook.demo;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
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
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * The README's run command: a HiveMQ CE broker on 127.0.0.1 (port 1883 by default) with the packaged
 * mqtt-webhook extension loaded from its folder, a default configuration posting every event HiveMQ shows
 * to a small receiver started here, and each received webhook printed. Ctrl-C stops everything.
 * <p>
 * Options: {@code --port=N} (MQTT port), {@code --config=FILE} (your own webhook.conf or nanomq.conf
 * instead of the default; then no receiver is started unless its url points at {@code --receiver-port}),
 * {@code --receiver-port=N} (default 8080), {@code --no-webhook} (the same broker without the extension;
 * the benchmarks compare the two). Several options may come in one argument
 * ({@code -Ddemo.args="--port=1884 --config=FILE"}).
 */
public final class HiveMqDemo {

    private HiveMqDemo() {
    }

    public static void main(final String[] args) throws Exception {
        int port = 1883;
        int receiverPort = 8080;
        Path userConfig = null;
        boolean withWebhook = true;
        for (final String arg : options(args)) {
            if (arg.startsWith("--port=")) {
                port = Integer.parseInt(arg.substring(7));
            } else if (arg.startsWith("--receiver-port=")) {
                receiverPort = Integer.parseInt(arg.substring(16));
            } else if (arg.equals("--no-webhook")) {
                withWebhook = false; // the same broker without the extension, for comparisons
            } else if (arg.startsWith("--config=")) {
                userConfig = Paths.get(arg.substring(9)).toAbsolutePath();
            } else {
                System.err.println("unknown option " + arg
                        + "; options: --port=N --config=FILE --receiver-port=N --no-webhook");
                System.exit(2);
            }
        }
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
        final Path conf = extension.resolve("conf").resolve("webhook.conf");
        if (!withWebhook) {
            System.out.println("no webhook: the extension is not installed");
        } else if (userConfig != null) {
            Files.copy(userConfig, conf, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        } else {
            Files.writeString(conf, "webhook {\n"
                    + "  url = \"http://127.0.0.1:" + receiverPort + "/webhook\"\n"
                    + "  events = [\n"
                    + "    { event = on_client_connect }\n    { event = on_client_connack }\n"
                    + "    { event = on_client_connected }\n    { event = on_client_disconnected }\n"
                    + "    { event = on_client_subscribe }\n    { event = on_client_unsubscribe }\n"
                    + "    { event = on_session_subscribed }\n    { event = on_session_unsubscribed }\n"
                    + "    { event = on_message_publish }\n"
                    + "    { event = on_message_delivered }\n    { event = on_message_acked }\n"
                    + "  ]\n}\n");
        }
        final HttpServer receiver = withWebhook && userConfig == null ? startReceiver(receiverPort) : null;
        final Path config = Files.createDirectories(home.resolve("conf"));
        Files.writeString(config.resolve("config.xml"), "<hivemq>\n"
                + "  <listeners><tcp-listener><port>" + port + "</port><bind-address>127.0.0.1</bind-address></tcp-listener></listeners>\n"
                + "  <anonymous-usage-statistics><enabled>false</enabled></anonymous-usage-statistics>\n"
                + "</hivemq>\n");
        final EmbeddedHiveMQ hivemq = EmbeddedHiveMQ.builder()
                .withConfigurationFolder(config)
                .withDataFolder(Files.createDirectories(home.resolve("data")))
                .withExtensionsFolder(home.resolve("extensions"))
                .withEmbeddedExtension(EmbeddedExtension.builder().withId("allow-all").withName("demo: allow every client")
                        .withVersion("1").withAuthor("mqtt-webhook demo").withExtensionMain(new AllowAll()).build())
                .build();
        final CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping HiveMQ (the webhook drains what is queued) ...");
            hivemq.stop().join();
            if (receiver != null) {
                receiver.stop(0);
            }
            deleteQuietly(home);
            stopped.countDown();
        }));
        hivemq.start().join();
        System.out.println();
        System.out.println("HiveMQ CE " + (withWebhook ? "with" : "without") + " mqtt-webhook is listening on 127.0.0.1:"
                + port + (withWebhook ? "; webhook configuration: " + (userConfig == null ? conf : userConfig) : ""));
        if (receiver != null) {
            System.out.println("every webhook request is printed below. Try:  mosquitto_pub -h 127.0.0.1 -p " + port
                    + " -t a/b/c -m hi     (Ctrl-C stops)");
        }
        stopped.await();
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

    private static HttpServer startReceiver(final int port) throws IOException {
        final HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        server.createContext("/", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                final String text = new String(body.readAllBytes(), StandardCharsets.UTF_8);
                System.out.println(LocalTime.now() + "  " + exchange.getRequestMethod() + " "
                        + exchange.getRequestURI() + "  webhook-id=" + exchange.getRequestHeaders().getFirst("webhook-id"));
                System.out.println("    " + text);
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
