package io.mqttwebhook.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** The keys {@code dead_letter.*} and {@code rate_limit}: read, defaulted, refused with clear errors, printed. */
class DeadLetterAndRateLimitConfigTest {

    private static EndpointConfig load(final String block) {
        final LoadResult result = ConfigLoader.parse("webhook {\n url = \"http://h/\"\n" + block
                + "\n events = [ { event = on_client_connack } ]\n}", "w.conf");
        assertThat(result.warnings()).isEmpty();
        return result.config().orElseThrow().endpoints().get(0);
    }

    private static String error(final String block) {
        try {
            ConfigLoader.parse("webhook {\n url = \"http://h/\"\n" + block + "\n}", "w.conf");
        } catch (final ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("no ConfigException for:\n" + block);
    }

    @Test
    void deadLettersAreOnInsideADiskQueueAndOffForMemoryUnlessSaidOtherwise(@TempDir final Path dir) {
        assertThat(load("").deadLetterDir()).isNull();
        assertThat(load("queue { type = disk, dir = \"" + dir + "\" }").deadLetterDir())
                .isEqualTo(dir.resolve("dead-letters"));
        assertThat(load("queue { type = disk, dir = \"" + dir + "\" }\n dead_letter.enable = false").deadLetterDir()).isNull();
        final EndpointConfig set = load("dead_letter { dir = \"" + dir.resolve("dl") + "\", max_bytes = \"10MiB\" }");
        assertThat(set.deadLetterDir()).isEqualTo(dir.resolve("dl"));
        assertThat(set.deadLetterMaxBytes()).isEqualTo(10L << 20);
        assertThat(load("").deadLetterMaxBytes()).isEqualTo(100L << 20);
    }

    @Test
    void rateLimitCountsEventsOrRequests() {
        assertThat(load("").rateLimit()).isNull();
        assertThat(load("rate_limit.events_per_second = 100").rateLimit())
                .isEqualTo(RateLimit.of(RateLimit.Unit.EVENTS, 100, 10));
        assertThat(load("rate_limit { events_per_second = 2.5, burst = 5 }").rateLimit())
                .isEqualTo(RateLimit.of(RateLimit.Unit.EVENTS, 2.5, 5));
        assertThat(load("rate_limit.requests_per_second = 5").rateLimit())
                .isEqualTo(RateLimit.of(RateLimit.Unit.REQUESTS, 5, 1));
        assertThat(load("rate_limit.events_per_second = 100").rateLimit()).hasToString("100 events/s, burst 10");
    }

    @Test
    void errorsNameFileLineKeyValueAndWhatIsAllowed(@TempDir final Path dir) throws IOException {
        assertThat(error("rate_limit = 100")).isEqualTo("webhook.rate_limit at w.conf:3: 100 is not a block:"
                + " rate_limit { events_per_second = 100 } or rate_limit { requests_per_second = 10, burst = 1 }");
        assertThat(error("rate_limit.events_per_second = fast")).isEqualTo("webhook.rate_limit.events_per_second at"
                + " w.conf:3: \"fast\" must be a number greater than 0");
        assertThat(error("rate_limit.events_per_second = 0"))
                .isEqualTo("webhook.rate_limit.events_per_second at w.conf:3: 0 must be a number greater than 0");
        assertThat(error("rate_limit { events_per_second = 10, requests_per_second = 1 }"))
                .contains("webhook.rate_limit.requests_per_second at w.conf:3: set either");
        assertThat(error("rate_limit { burst = 3 }")).contains("webhook.rate_limit at w.conf:3: needs events_per_second"
                + " or requests_per_second");
        assertThat(error("rate_limit { events_per_second = 10, burst = 0.5 }"))
                .contains("webhook.rate_limit.burst at w.conf:3: 0.5 must be at least 1");
        assertThat(error("dead_letter.enable = true")).isEqualTo("webhook.dead_letter.enable at w.conf:3: true needs"
                + " dead_letter.dir, the folder of the dead-letter files (a disk queue has one by default:"
                + " <queue.dir>/dead-letters)");
        assertThat(error("dead_letter.max_bytes = lots")).contains("webhook.dead_letter.max_bytes at w.conf:3: \"lots\""
                + " is not a size");
        final Path file = Files.writeString(dir.resolve("a-file"), "x");
        assertThat(error("dead_letter.dir = \"" + file + "\"")).isEqualTo("webhook.dead_letter.dir at w.conf:3: \""
                + file + "\" is not a writable folder");
    }

    @Test
    void misspelledKeysAreWarnings() {
        final LoadResult result = ConfigLoader.parse("webhook {\n url = \"http://h/\"\n dead_letter.max_byte = 5\n"
                + " rate_limit { events_per_second = 5, bursts = 2 }\n events = [ { event = on_client_connack } ]\n}", "w.conf");
        assertThat(result.warnings()).containsExactlyInAnyOrder(
                "webhook.dead_letter.max_byte at w.conf:3: unknown key, ignored",
                "webhook.rate_limit.bursts at w.conf:4: unknown key, ignored");
    }

    @Test
    void theDeadLetterFolderWaitsForARestartTheRateLimitDoesNot(@TempDir final Path dir) {
        final EndpointConfig before = load("rate_limit.events_per_second = 5");
        assertThat(ReloadKeys.restartOnlyChanges(before,
                load("dead_letter.dir = \"" + dir + "\"\n rate_limit.events_per_second = 5"))).containsExactly("dead_letter.dir");
        assertThat(ReloadKeys.restartOnlyChanges(before, load("rate_limit.events_per_second = 50"))).isEmpty();
        assertThat(before.sameAs(load("rate_limit.events_per_second = 50"))).isFalse();
    }

    @Test
    void theCheckCommandPrintsBoth(@TempDir final Path dir) throws IOException {
        final Path file = Files.writeString(dir.resolve("webhook.conf"), "webhook {\n url = \"http://h/\"\n"
                + " dead_letter.dir = \"" + dir.resolve("dl") + "\"\n rate_limit.events_per_second = 100\n}\n");
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ConfigCheck.run(new String[]{file.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))).isEqualTo(ConfigCheck.OK);
        assertThat(out.toString(StandardCharsets.UTF_8)).contains(
                "  dead_letter: in " + dir.resolve("dl") + ", up to 104857600 bytes",
                "  rate_limit: 100 events/s, burst 10");
    }
}
