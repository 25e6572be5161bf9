package io.mqttwebhook.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@code metrics.prometheus.port} and {@code metrics.prometheus.bind}: off unless a port is given, bound to
 * this machine only unless told otherwise, every bad value an error naming file, line, key, value and what is
 * allowed, restart-only, and printed by the check command.
 */
class PrometheusKeysTest {

    private static final String ENDPOINT = "  url = \"http://127.0.0.1:8080/\"\n  events = [ { event = on_message_publish } ]\n";

    private static WebhookConfig load(final String webhookBody) {
        return ConfigLoader.parse("webhook {\n" + ENDPOINT + webhookBody + "}\n", "webhook.conf").config().orElseThrow();
    }

    @Test
    void offByDefault() {
        final WebhookConfig config = load("");
        assertThat(config.prometheusPort()).isEmpty();
        assertThat(config.prometheusBind()).isEqualTo("127.0.0.1");
    }

    @Test
    void aPortTurnsItOnOnThisMachineOnly() {
        final WebhookConfig config = load("  metrics.prometheus.port = 9400\n");
        assertThat(config.prometheusPort()).isEqualTo(OptionalInt.of(9400));
        assertThat(config.prometheusBind()).isEqualTo("127.0.0.1");
        assertThat(config.toBuilder().build().prometheusPort()).isEqualTo(OptionalInt.of(9400));
    }

    @Test
    void blockSyntaxBindAddressesAndTheOldFlatFormat() {
        final WebhookConfig config = load("  metrics { prometheus { port = 0, bind = \"0.0.0.0\" } }\n");
        assertThat(config.prometheusPort()).isEqualTo(OptionalInt.of(0));
        assertThat(config.prometheusBind()).isEqualTo("0.0.0.0");
        assertThat(load("  metrics.prometheus { port = 9400, bind = \"::1\" }\n").prometheusBind()).isEqualTo("::1");
        assertThat(load("  metrics.prometheus { port = 9400, bind = \"metrics.internal\" }\n").prometheusBind())
                .isEqualTo("metrics.internal");
        final LoadResult flat = ConfigLoader.parse("web.hook.url=http://127.0.0.1:8080/\n"
                + "web.hook.rule.message.publish.1={\"action\": \"on_message_publish\"}\n"
                + "web.hook.metrics.prometheus.port=9401\n", "old.conf");
        assertThat(flat.warnings()).isEmpty();
        assertThat(flat.config().orElseThrow().prometheusPort()).isEqualTo(OptionalInt.of(9401));
    }

    @Test
    void badValuesAreErrorsWithFileLineKeyValueAndWhatIsAllowed() {
        assertThatThrownBy(() -> load("  metrics.prometheus.port = 70000\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("webhook.metrics.prometheus.port at webhook.conf:4: 70000 is not a port:"
                        + " a whole number from 1 to 65535 (0: any free port, logged at start)");
        assertThatThrownBy(() -> load("  metrics.prometheus.port = -1\n"))
                .hasMessageContaining("webhook.metrics.prometheus.port at webhook.conf:4: -1 is not a port");
        assertThatThrownBy(() -> load("  metrics.prometheus.port = nine\n"))
                .hasMessageContaining("webhook.metrics.prometheus.port at webhook.conf:4: \"nine\" is not a port");
        for (final String bad : new String[]{"", "300.1.1.1", "a b", "1.2.3", "::g", "-host"}) {
            assertThatThrownBy(() -> load("  metrics.prometheus { port = 9400, bind = \"" + bad + "\" }\n"))
                    .as(bad).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("webhook.metrics.prometheus.bind at webhook.conf:4: \"" + bad
                            + "\" is not an IP address or host name: e.g. \"127.0.0.1\" (this machine only, the default)"
                            + " or \"0.0.0.0\" (every interface)");
        }
    }

    @Test
    void aBindWithoutPortIsAWarningAndInAnEndpointItAppliesToNothing() {
        final LoadResult result = ConfigLoader.parse("webhook {\n" + ENDPOINT
                + "  metrics.prometheus.bind = \"0.0.0.0\"\n}\n", "webhook.conf");
        assertThat(result.config().orElseThrow().prometheusPort()).isEmpty();
        assertThat(result.warnings()).containsExactly("webhook.metrics.prometheus.bind at webhook.conf:4: applies only"
                + " with webhook.metrics.prometheus.port, which turns the Prometheus endpoint on");
        final LoadResult inEndpoint = ConfigLoader.parse("webhook.endpoints.a {\n" + ENDPOINT
                + "  metrics.prometheus.port = 9400\n}\n", "webhook.conf");
        assertThat(inEndpoint.config().orElseThrow().prometheusPort()).isEmpty();
        assertThat(inEndpoint.warnings()).anyMatch(w -> w.startsWith("webhook.endpoints.a.metrics.prometheus.port")
                && w.contains("applies to the whole webhook"));
    }

    @Test
    void changingThemWaitsForARestart() {
        assertThat(ReloadKeys.restartOnlyWebhookKeys()).contains("metrics.prometheus.port", "metrics.prometheus.bind");
        assertThat(ReloadKeys.restartOnlyChanges(load("  metrics.prometheus.port = 9400\n"),
                load("  metrics.prometheus { port = 9401, bind = \"0.0.0.0\" }\n")))
                .containsExactly("webhook.metrics.prometheus.port", "webhook.metrics.prometheus.bind");
        assertThat(ReloadKeys.restartOnlyChanges(load("  metrics.prometheus.port = 9400\n"),
                load("  metrics.prometheus.port = 9400\n"))).isEmpty();
    }

    @Test
    void theCheckCommandPrintsWhereToScrape(@TempDir final Path dir) throws Exception {
        final Path on = dir.resolve("on.conf");
        Files.writeString(on, "webhook {\n" + ENDPOINT + "  metrics.prometheus { port = 9400, bind = \"::1\" }\n}\n");
        final Path off = dir.resolve("off.conf");
        Files.writeString(off, "webhook {\n" + ENDPOINT + "}\n");
        assertThat(check(on)).contains("prometheus:   http://[::1]:9400/metrics on Moquette; on HiveMQ, HiveMQ's"
                + " Prometheus extension exports the same metrics");
        assertThat(check(off)).contains("prometheus:   off (metrics.prometheus.port)");
    }

    private static String check(final Path file) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ConfigCheck.run(new String[]{file.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))).isEqualTo(ConfigCheck.OK);
        return out.toString(StandardCharsets.UTF_8);
    }
}
