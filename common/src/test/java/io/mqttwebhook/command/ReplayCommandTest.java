package io.mqttwebhook.command;

import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.ConfigCheck;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.delivery.DeadLetter;
import io.mqttwebhook.delivery.DeadLetterFiles;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.testing.CheckCommand;
import io.mqttwebhook.testing.DeadLetterDirs;
import io.mqttwebhook.testing.TestReceiver;
import io.mqttwebhook.testing.TestReceiver.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code replay}: dead letters written by a running webhook are posted again as the configuration says (its
 * headers, its signature), each once however often the command runs, and a stop mid-way leaves marks that say
 * exactly what the receiver got.
 */
class ReplayCommandTest {

    private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    private final CheckCommand check = new CheckCommand();

    private int replay(final String... args) {
        return check.subcommand("replay", args);
    }

    private String printed() {
        return check.printed();
    }

    /** The configuration file of the webhook that gave events up, and of the replay. */
    private static Path configuration(final Path dir, final TestReceiver receiver, final String extra) throws IOException {
        return Files.writeString(dir.resolve("webhook.conf"), "webhook {\n"
                + "  url = \"" + receiver.url("/hook") + "\"\n"
                + "  headers.authorization = \"Bearer t0ken\"\n"
                + "  signing.secret = \"" + SECRET + "\"\n"
                + "  retry { initial_backoff = 10ms, max_backoff = 20ms }\n"
                + "  dead_letter.dir = \"" + dir.resolve("dead-letters") + "\"\n"
                + extra
                + "  events = [ { event = on_message_publish } ]\n}\n");
    }

    private static PublishEvent event(final String payload) {
        return new PublishEvent("c-" + payload, "u", "t/" + payload, 1, false, payload.getBytes(StandardCharsets.UTF_8),
                1_700_000_000_000L);
    }

    /** Runs the configured webhook against {@code receiver} (which refuses), publishing {@code payloads}. */
    private static void giveUp(final Path config, final List<String> payloads) throws Exception {
        try (Webhook webhook = Webhook.start(ConfigLoader.load(config).config().orElseThrow())) {
            for (final String payload : payloads) {
                webhook.publish(event(payload));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> webhook.metrics().failedCount()
                    + webhook.metrics().droppedTotal() == payloads.size());
        }
    }

    private static List<String> payloads(final String prefix, final int n) {
        final List<String> payloads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            payloads.add(prefix + i);
        }
        return payloads;
    }

    private static Set<String> marked(final Path dir) throws IOException {
        final Set<String> ids = new HashSet<>();
        for (final Path file : DeadLetterFiles.files(dir)) {
            ids.addAll(DeadLetterFiles.readReplayed(file));
        }
        return ids;
    }

    private static void assertSigned(final TestReceiver.Request request) throws Exception {
        final Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(SECRET.substring(6)), "HmacSHA256"));
        final byte[] expected = mac.doFinal((request.header("webhook-id") + "." + request.header("webhook-timestamp")
                + "." + request.body()).getBytes(StandardCharsets.UTF_8));
        assertThat(request.header("webhook-signature")).isEqualTo("v1," + Base64.getEncoder().encodeToString(expected));
    }

    @Test
    void replaysEachDeadLetterSignedWithTheConfiguredHeadersAndNeverTwice(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final AtomicInteger status = new AtomicInteger(404);
            receiver.replyWith(r -> Reply.status(status.get()));
            final Path config = configuration(dir, receiver, "");
            giveUp(config, payloads("p", 30));
            final Path letters = dir.resolve("dead-letters");
            final Map<String, DeadLetter> byId = DeadLetterDirs.read(letters).stream()
                    .collect(Collectors.toMap(DeadLetter::replayId, Function.identity()));
            assertThat(byId).hasSize(30);
            receiver.clear();

            status.set(200);
            assertThat(replay(letters.toString(), "--config", config.toString(), "--rate", "200"))
                    .as(printed()).isEqualTo(ReplayCommand.OK);
            assertThat(printed()).contains("replay: 30 dead letter(s) to send", "replay done: 30 of 30 delivered, 0 failed");
            final List<TestReceiver.Request> replayed = receiver.requests();
            assertThat(replayed).hasSize(30);
            for (final TestReceiver.Request request : replayed) {
                final DeadLetter letter = byId.get(request.header("webhook-id"));
                assertThat(letter).as("sent with its dead letter's id").isNotNull();
                assertThat(request.body()).isEqualTo(letter.body());
                assertThat(request.target).isEqualTo("/hook");
                assertThat(request.header("authorization")).isEqualTo("Bearer t0ken");
                assertThat(request.header("content-type")).isEqualTo("application/json");
                assertSigned(request);
            }
            assertThat(replayed.stream().map(r -> r.header("webhook-id")).distinct()).hasSize(30);
            assertThat(marked(letters)).isEqualTo(byId.keySet());

            // a second replay has nothing left to send
            assertThat(replay(letters.toString(), "--config", config.toString())).isEqualTo(ReplayCommand.OK);
            assertThat(printed()).contains("replay: 0 dead letter(s) to send", "30 already replayed");
            assertThat(receiver.count()).isEqualTo(30);
        }
    }

    @Test
    void aTemplatedRequestIsReplayedWithItsMethodPathBodyAndTemplatedHeaders(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final AtomicInteger status = new AtomicInteger(400);
            receiver.replyWith(r -> Reply.status(status.get()));
            final Path config = configuration(dir, receiver, "  method = PUT\n  path = \"/devices/${clientid}\"\n"
                    + "  headers.x-device = \"${clientid}\"\n"
                    + "  body.template = \"\"\"{\"device\":${clientid},\"reading\":${payload}}\"\"\"\n");
            giveUp(config, payloads("p", 3));
            final Path letters = dir.resolve("dead-letters");
            final List<TestReceiver.Request> refused = receiver.requests();
            assertThat(DeadLetterDirs.read(letters)).hasSize(3).allSatisfy(l -> {
                assertThat(l.method()).isEqualTo("PUT");
                assertThat(l.path()).isEqualTo("/devices/" + l.clientId());
                assertThat(l.body()).isEqualTo("{\"device\":\"" + l.clientId() + "\",\"reading\":\""
                        + l.clientId().substring(2) + "\"}");
            });
            receiver.clear();

            status.set(200);
            assertThat(replay(letters.toString(), "--config", config.toString())).as(printed()).isEqualTo(ReplayCommand.OK);
            assertThat(receiver.requests()).hasSize(3).allSatisfy(r -> {
                final TestReceiver.Request original = refused.stream()
                        .filter(o -> o.header("webhook-id").equals(r.header("webhook-id"))).findFirst().orElseThrow();
                assertThat(r.method).isEqualTo("PUT");
                assertThat(r.target).isEqualTo(original.target).startsWith("/hook/devices/c-p");
                assertThat(r.body()).isEqualTo(original.body());
                assertThat(r.header("x-device")).isEqualTo(original.header("x-device")).startsWith("c-p");
                assertThat(r.header("authorization")).isEqualTo("Bearer t0ken");
            });
        }
    }

    @Test
    void dryRunCauseSinceAndUrlChooseWhatGoesWhere(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start(); TestReceiver other = TestReceiver.start()) {
            // "r" events are answered 500 and given up after one attempt; "n" events are refused with 404
            receiver.replyWith(r -> Reply.status(r.body().contains("\"payload\":\"r") ? 500 : 404));
            final Path config = configuration(dir, receiver, "  retry.max_attempts = 1\n");
            final List<String> payloads = new ArrayList<>(payloads("r", 4));
            payloads.addAll(payloads("n", 6));
            giveUp(config, payloads);
            final Path letters = dir.resolve("dead-letters");
            receiver.clear();

            assertThat(replay(letters.toString(), "--config", config.toString(), "--dry-run", "--cause",
                    "retries_exhausted")).isEqualTo(ReplayCommand.OK);
            assertThat(printed()).contains("replay: 4 dead letter(s) to send", "6 filtered out",
                    "by cause:   {retries_exhausted=4}", "nothing sent, nothing marked");
            assertThat(receiver.count()).isZero();
            assertThat(marked(letters)).isEmpty();

            assertThat(replay(letters.toString(), "--config", config.toString(), "--since", Instant.now().plusSeconds(60)
                    .toString())).isEqualTo(ReplayCommand.OK);
            assertThat(printed()).contains("replay: 0 dead letter(s) to send", "10 filtered out");

            assertThat(replay(letters.toString(), "--config", config.toString(), "--cause", "retries_exhausted",
                    "--since", "1h", "--url", other.url("/elsewhere"))).as(printed()).isEqualTo(ReplayCommand.OK);
            assertThat(other.requests()).hasSize(4).allSatisfy(r -> {
                assertThat(r.body()).contains("\"payload\":\"r");
                assertThat(r.target).isEqualTo("/elsewhere");
                assertThat(r.header("authorization")).isEqualTo("Bearer t0ken"); // --url keeps the endpoint's headers
            });
            assertThat(receiver.count()).isZero();

            // the refused ones, still refused: counted, not marked, the exit status says so
            assertThat(replay(letters.toString(), "--config", config.toString())).isEqualTo(ReplayCommand.NOT_ALL);
            assertThat(printed()).contains("4 already replayed", "replay done: 0 of 6 delivered, 6 failed",
                    "not delivered: HTTP 404");
            assertThat(marked(letters)).hasSize(4);
        }
    }

    @Test
    void theRateIsBoundedAndProgressPrinted(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final AtomicInteger status = new AtomicInteger(404);
            receiver.replyWith(r -> Reply.status(status.get()));
            final Path config = configuration(dir, receiver, "");
            giveUp(config, payloads("p", 25));
            receiver.clear();
            status.set(200);
            final long start = System.nanoTime();
            assertThat(replay(dir.resolve("dead-letters").toString(), "--config", config.toString(), "--rate", "10"))
                    .isEqualTo(ReplayCommand.OK);
            // 25 at 10 per second, the first at once: 2.4 s
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(2300);
            assertThat(printed()).containsPattern("replay: \\d+ of 25 delivered, 0 failed, \\d+\\.\\d/s");
            assertThat(receiver.count()).isEqualTo(25);
        }
    }

    /**
     * 20 events given up (the receiver refuses them with 404) into {@code dir/dead-letters}; from then on the
     * receiver accepts, taking 150 ms per answer, so that a replay can be stopped with a request under way.
     * Returns the configuration file.
     */
    private static Path twentyDeadLettersThenSlowAnswers(final Path dir, final TestReceiver receiver) throws Exception {
        final AtomicInteger status = new AtomicInteger(404);
        receiver.replyWith(r -> status.get() == 404 ? Reply.status(404) : Reply.slow(200, 150));
        final Path config = configuration(dir, receiver, "");
        giveUp(config, payloads("p", 20));
        receiver.clear();
        status.set(200);
        return config;
    }

    /** After a stopped replay that delivered {@code received}: a second one sends the other 20 − n, each once. */
    private void assertASecondReplaySendsOnlyTheRest(final Path config, final Path letters, final TestReceiver receiver,
                                                     final Set<String> received) {
        receiver.clear();
        assertThat(replay(letters.toString(), "--config", config.toString(), "--rate", "1000"))
                .isEqualTo(ReplayCommand.OK);
        final Set<String> second = receiver.requests().stream().map(r -> r.header("webhook-id"))
                .collect(Collectors.toSet());
        assertThat(second).hasSize(20 - received.size()).doesNotContainAnyElementsOf(received);
    }

    @Test
    void aStopMidwayLeavesMarksThatSayExactlyWhatWasDelivered(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final Path config = twentyDeadLettersThenSlowAnswers(dir, receiver);
            final Path letters = dir.resolve("dead-letters");

            final ByteArrayOutputStream printed = new ByteArrayOutputStream();
            final PrintStream terminal = new PrintStream(printed, true, StandardCharsets.UTF_8);
            final ReplayCommand command = new ReplayCommand(terminal, terminal);
            final int[] exit = new int[1];
            final Thread running = new Thread(() -> exit[0] = command.run(new String[]{letters.toString(), "--config",
                    config.toString(), "--rate", "1000"}));
            running.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> receiver.count() >= 5);
            command.requestStop(); // while a request is under way (each takes 150 ms to answer)
            running.join(TimeUnit.SECONDS.toMillis(10));
            assertThat(running.isAlive()).isFalse();
            assertThat(exit[0]).isEqualTo(ReplayCommand.NOT_ALL);
            assertThat(printed.toString(StandardCharsets.UTF_8)).contains("replay stopped:");
            final Set<String> received = receiver.requests().stream().map(r -> r.header("webhook-id"))
                    .collect(Collectors.toSet());
            assertThat(received).hasSizeBetween(5, 19);
            assertThat(marked(letters)).isEqualTo(received);
            assertASecondReplaySendsOnlyTheRest(config, letters, receiver, received);
        }
    }

    @Test
    void sigtermStopsTheCommandAfterTheRequestUnderWayIsMarked(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final Path config = twentyDeadLettersThenSlowAnswers(dir, receiver);
            final Path letters = dir.resolve("dead-letters");

            // the check jar's main, in its own JVM, as an operator runs it
            final Path output = dir.resolve("replay.out");
            final Process process = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                    "-cp", System.getProperty("java.class.path"), ConfigCheck.class.getName(), "replay",
                    letters.toString(), "--config", config.toString(), "--rate", "1000").redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.count() >= 5);
            process.destroy(); // SIGTERM, as Ctrl-C: the shutdown hook runs
            assertThat(process.waitFor(20, TimeUnit.SECONDS)).isTrue();
            final String printed = Files.readString(output);
            assertThat(printed).contains("replay stopped:");
            final Set<String> received = receiver.requests().stream().map(r -> r.header("webhook-id"))
                    .collect(Collectors.toSet());
            assertThat(received.size()).isLessThan(20);
            assertThat(marked(letters)).as(printed).isEqualTo(received);
            assertASecondReplaySendsOnlyTheRest(config, letters, receiver, received);
        }
    }

    @Test
    void usageErrorsSayWhatIsMissing(@TempDir final Path dir) {
        assertThat(replay()).isEqualTo(ReplayCommand.USAGE);
        assertThat(printed()).contains("which dead letters?", "usage: java -jar mqtt-webhook-check.jar replay");
        assertThat(replay(dir.toString())).isEqualTo(ReplayCommand.USAGE);
        assertThat(printed()).contains("give --config (the webhook configuration) or --url");
        assertThat(replay(dir.toString(), "--url", "http://127.0.0.1:1/", "--cause", "lost")).isEqualTo(ReplayCommand.USAGE);
        assertThat(printed()).contains("--cause lost is not one of status_3xx, status_4xx");
        assertThat(replay(dir.toString(), "--url", "http://127.0.0.1:1/", "--since", "yesterday"))
                .isEqualTo(ReplayCommand.USAGE);
        assertThat(ReplayCommand.time("2h", Instant.parse("2026-12-01T10:00:00Z")))
                .contains(Instant.parse("2026-12-01T08:00:00Z"));
        assertThat(ReplayCommand.time("2026-12-01", Instant.now())).contains(Instant.parse("2026-12-01T00:00:00Z"));
    }
}
