package io.mqttwebhook.hivemq;

import com.hivemq.embedded.EmbeddedExtension;
import com.hivemq.embedded.EmbeddedHiveMQ;
import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.auth.SimpleAuthenticator;
import com.hivemq.extension.sdk.api.client.parameter.Listener;
import com.hivemq.extension.sdk.api.packets.connect.ConnackReasonCode;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.stream.Stream;

/**
 * A real HiveMQ CE, in-process, on 127.0.0.1 with a free port, loading the packaged mqtt-webhook folder from
 * its extensions folder as users do, with {@code conf/webhook.conf} replaced by the test's. The one embedded
 * extension is a test authenticator: username "bad" is refused with bad_username_or_password, "denied" with
 * not_authorized, and everyone else is let in.
 */
final class HiveMqBroker implements AutoCloseable {

    private final EmbeddedHiveMQ hivemq;
    private final Path extensionFolder;

    HiveMqBroker(final Path dir, final String webhookConf) throws Exception {
        final Path packaged = packagedFolder();
        final Path config = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(config.resolve("config.xml"), "<hivemq>\n"
                + "  <listeners><tcp-listener><port>0</port><bind-address>127.0.0.1</bind-address></tcp-listener></listeners>\n"
                + "  <anonymous-usage-statistics><enabled>false</enabled></anonymous-usage-statistics>\n"
                + "</hivemq>\n");
        final Path extensions = Files.createDirectories(dir.resolve("extensions"));
        extensionFolder = extensions.resolve("mqtt-webhook");
        copy(packaged, extensionFolder);
        Files.writeString(extensionFolder.resolve("conf").resolve("webhook.conf"), webhookConf);
        hivemq = EmbeddedHiveMQ.builder()
                .withConfigurationFolder(config)
                .withDataFolder(Files.createDirectories(dir.resolve("data")))
                .withExtensionsFolder(extensions)
                .withEmbeddedExtension(EmbeddedExtension.builder()
                        .withId("test-authenticator").withName("test authenticator").withVersion("1")
                        .withPriority(0).withStartPriority(0).withAuthor("tests")
                        .withExtensionMain(new TestAuthenticator()).build())
                .build();
        hivemq.start().join();
    }

    /** The extension folder the build packaged (failsafe passes its path). */
    static Path packagedFolder() {
        final Path packaged = Paths.get(System.getProperty("mqttwebhook.extension.folder",
                "target/mqtt-webhook-0.1.0-SNAPSHOT/mqtt-webhook"));
        if (!Files.isDirectory(packaged)) {
            throw new IllegalStateException("the packaged extension is missing at " + packaged + ": run mvn verify");
        }
        return packaged;
    }

    /** Copies the packaged extension folder (or any folder tree). */
    static void copy(final Path from, final Path to) throws IOException {
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

    int port() {
        for (final Listener listener : Services.adminService().getServerInformation().getListener()) {
            return listener.getPort();
        }
        throw new IllegalStateException("no listener");
    }

    /** HiveMQ writes DISABLED into the folder of an extension that failed to start. */
    boolean extensionDisabled() {
        return Files.exists(extensionFolder.resolve("DISABLED"));
    }

    @Override
    public void close() {
        hivemq.stop().join();
        try {
            hivemq.close();
        } catch (final Exception ignored) {
            // stopped above
        }
    }

    static final class TestAuthenticator implements ExtensionMain {
        @Override
        public void extensionStart(final ExtensionStartInput input, final ExtensionStartOutput output) {
            final SimpleAuthenticator authenticator = (in, out) -> {
                final String username = in.getConnectPacket().getUserName().orElse("");
                if (username.equals("bad")) {
                    out.failAuthentication(ConnackReasonCode.BAD_USER_NAME_OR_PASSWORD, "bad");
                } else if (username.equals("denied")) {
                    out.failAuthentication(ConnackReasonCode.NOT_AUTHORIZED, "denied");
                } else {
                    out.authenticateSuccessfully();
                }
            };
            Services.securityRegistry().setAuthenticatorProvider(providerInput -> authenticator);
        }

        @Override
        public void extensionStop(final ExtensionStopInput input, final ExtensionStopOutput output) {
        }
    }

    static String utf8(final byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
