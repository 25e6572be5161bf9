package io.mqttwebhook.delivery;

import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.QueueType;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PayloadEncoding;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.rule.Rule;
import io.mqttwebhook.metrics.WebhookMetrics.DropCause;
import io.mqttwebhook.metrics.EndpointMetrics;
import io.mqttwebhook.testing.QueueFiles;
import io.mqttwebhook.testing.TestReceiver;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** {@code queue.type = disk}: outages longer than memory allows, restarts and crashes lose nothing. */
class DiskQueueTest {

    private static final Pattern PAYLOAD = Pattern.compile("\"payload\":\"([^\"]*)\"");

    private static EndpointConfig.Builder disk(final int port, final Path dir) {
        return EndpointConfig.builder(URI.create("http://127.0.0.1:" + port + "/"))
                .rule(new Rule(EventType.MESSAGE_PUBLISH, null)).queueType(QueueType.DISK).queueDir(dir)
                .queueSyncInterval(Duration.ofMillis(50)).maxAttempts(1000)
                .initialBackoff(Duration.ofMillis(10)).maxBackoff(Duration.ofMillis(100));
    }

    private static Webhook start(final EndpointConfig.Builder endpoint) {
        return Webhook.start(WebhookConfig.builder().endpoint(endpoint.build()).drainTimeout(Duration.ofMillis(300)).build());
    }

    private static PublishEvent event(final int n) {
        return new PublishEvent("c" + (n % 3), "u", "t", 1, false, Integer.toString(n).getBytes(StandardCharsets.UTF_8), n);
    }

    /** An endpoint, down until {@code up()}, that records each distinct payload it accepted. */
    private static TestReceiver recording(final Set<String> payloads) throws Exception {
        final TestReceiver receiver = TestReceiver.startDown();
        receiver.replyWith(r -> {
            final Matcher m = PAYLOAD.matcher(r.body());
            while (m.find()) {
                payloads.add(m.group(1));
            }
            return TestReceiver.Reply.status(200);
        });
        return receiver;
    }

    @Test
    void anOutageLongerThanMemoryAllowsLosesNothing(@TempDir final Path dir) throws Exception {
        final Set<String> payloads = ConcurrentHashMap.newKeySet();
        // the memory queue would hold 100 of these 5 000 events
        try (TestReceiver receiver = recording(payloads);
             Webhook webhook = start(disk(receiver.port(), dir).queueCapacity(100).poolSize(2))) {
            for (int i = 0; i < 5000; i++) {
                webhook.publish(event(i));
            }
            await().until(() -> webhook.metrics().queued() >= 4990);
            assertThat(webhook.metrics().oldestQueuedAgeMillis()).isPositive();
            receiver.up();
            await().atMost(Duration.ofSeconds(60)).until(() -> webhook.metrics().deliveredCount() == 5000);
            assertThat(payloads).hasSize(5000);
            assertThat(webhook.metrics().droppedTotal()).isZero();
            assertThat(webhook.metrics().queued()).isZero();
        }
    }

    @Test
    void eventsQueuedAtStopAreDeliveredAfterTheRestart(@TempDir final Path dir) throws Exception {
        final Set<String> payloads = ConcurrentHashMap.newKeySet();
        try (TestReceiver receiver = recording(payloads)) {
            try (Webhook first = start(disk(receiver.port(), dir))) {
                for (int i = 0; i < 100; i++) {
                    first.publish(event(i));
                }
                await().until(() -> first.metrics().queued() + first.metrics().inDelivery() == 100);
                first.close();
                assertThat(first.metrics().droppedTotal()).as("kept on disk, not dropped").isZero();
            }
            assertThat(QueueFiles.committedEvents(dir)).isEqualTo(100);
            receiver.up();
            try (Webhook second = start(disk(receiver.port(), dir))) {
                await().atMost(Duration.ofSeconds(20)).until(() -> payloads.size() == 100);
                await().until(() -> second.metrics().queued() == 0 && second.metrics().inDelivery() == 0);
                assertThat(second.metrics().recoveredCount()).isEqualTo(100);
                assertThat(second.metrics().deliveredCount()).isEqualTo(100);
            }
            // everything delivered is forgotten: a third start sends only what it is given (the file is in order)
            payloads.clear();
            try (Webhook third = start(disk(receiver.port(), dir))) {
                third.publish(event(777));
                await().until(() -> third.metrics().deliveredCount() == 1);
                assertThat(payloads).containsExactly("777");
                assertThat(third.metrics().recoveredCount()).isZero();
            }
        }
    }

    /**
     * A record the file holds but that cannot be read back is dropped as {@code disk_error} and, with dead letters
     * on (the disk queue's default), counted as a dead letter not written: each cause's give-ups stay equal to
     * its dead letters plus those not written. The records around it are delivered.
     */
    @Test
    void aRecordThatCannotBeReadIsDroppedAndCountedAsADeadLetterNotWritten(@TempDir final Path dir) throws Exception {
        final Set<String> payloads = ConcurrentHashMap.newKeySet();
        try (TestReceiver receiver = recording(payloads)) {
            final EndpointConfig.Builder endpoint = disk(receiver.port(), dir).deadLetterDir(dir.resolve("dead-letters"));
            try (Webhook first = start(endpoint)) {
                for (int i = 0; i < 3; i++) {
                    first.publish(event(i));
                }
                await().until(() -> first.metrics().queued() + first.metrics().inDelivery() == 3);
            }
            // the middle record damaged in place, as a bad sector or a foreign write would leave it
            final MVStore store = new MVStore.Builder().fileName(dir.resolve("queue.mv.db").toString()).open();
            try {
                final MVMap<Long, byte[]> events = store.openMap(DiskEventQueue.EVENTS);
                assertThat(events.size()).isEqualTo(3);
                events.put(events.keyList().get(1), new byte[]{(byte) 0xff, 0x01});
                store.commit();
            } finally {
                store.close();
            }
            receiver.up();
            try (Webhook second = start(endpoint)) {
                await().atMost(Duration.ofSeconds(20)).until(() -> payloads.size() == 2
                        && second.metrics().droppedCount(DropCause.DISK_ERROR) == 1);
                assertThat(payloads).containsExactlyInAnyOrder("0", "2");
                final EndpointMetrics m = second.metrics().endpoints().get(0);
                await().until(() -> m.deadLetters().pending() == 0);
                assertThat(m.deadLetters().writtenTotal()).isZero();
                assertThat(m.deadLetters().writeFailedCount()).isEqualTo(1);
            }
        }
    }

    /** Starts {@link DiskQueueCrashMain} in a new JVM and waits for its READY line. */
    private static Process crashing(final Path dir, final int port, final int events) throws Exception {
        final Process process = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), DiskQueueCrashMain.class.getName(), dir.toString(),
                Integer.toString(port), Integer.toString(events)).redirectErrorStream(true).start();
        final BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        String line;
        do {
            line = out.readLine();
        } while (line != null && !line.equals("READY"));
        assertThat(line).as("the crashing JVM got ready").isEqualTo("READY");
        // keep reading its output so that it never blocks on a full pipe
        final Thread drain = new Thread(() -> out.lines().forEach(l -> { }));
        drain.setDaemon(true);
        drain.start();
        return process;
    }

    private static void kill(final Process process) throws InterruptedException {
        process.destroyForcibly(); // SIGKILL: no shutdown hook, no drain, no close
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aKilledJvmLosesNothingOfferedBeforeTheLastSync(@TempDir final Path dir) throws Exception {
        final Set<String> payloads = ConcurrentHashMap.newKeySet();
        try (TestReceiver receiver = recording(payloads)) {
            final Process crashing = crashing(dir, receiver.port(), 1000);
            // the durable point: a copy of the file, as the crash will leave it, holds every event
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> QueueFiles.committedEvents(dir) == 1000);
            kill(crashing);
            receiver.up();
            try (Webhook restarted = start(disk(receiver.port(), dir))) {
                await().atMost(Duration.ofSeconds(30)).until(() -> payloads.size() == 1000);
            }
        }
    }

    @Test
    void afterAKillMidDeliveryWhatArrivesTwiceArrivesWithTheSameId(@TempDir final Path dir) throws Exception {
        final Map<String, List<String>> idsByPayload = new ConcurrentHashMap<>();
        final CountDownLatch release = new CountDownLatch(1);
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.replyWith(r -> {
                final Matcher m = PAYLOAD.matcher(r.body());
                m.find();
                idsByPayload.computeIfAbsent(m.group(1), p -> new CopyOnWriteArrayList<>()).add(r.header("webhook-id"));
                try {
                    // the first JVM's requests are received and never answered: it dies with them in flight
                    release.await();
                } catch (final InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return TestReceiver.Reply.status(200);
            });
            final Process crashing = crashing(dir, receiver.port(), 200);
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.count() >= 32); // the whole pool in flight
            await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> QueueFiles.committedEvents(dir) == 200);
            kill(crashing);
            release.countDown();
            try (Webhook restarted = start(disk(receiver.port(), dir))) {
                await().atMost(Duration.ofSeconds(30)).until(() -> restarted.metrics().deliveredCount() == 200);
            }
        }
        assertThat(idsByPayload).hasSize(200);
        final List<String> twice = new ArrayList<>();
        idsByPayload.forEach((payload, ids) -> {
            if (ids.size() > 1) {
                twice.add(payload);
                assertThat(ids).as("ids of payload " + payload).containsOnly(ids.get(0));
            }
        });
        assertThat(twice).as("events in flight at the kill were sent again").hasSizeGreaterThanOrEqualTo(32);
        final Map<String, String> payloadById = new HashMap<>();
        idsByPayload.forEach((payload, ids) -> assertThat(payloadById.put(ids.get(0), payload)).as("ids are unique").isNull());
    }

    @Test
    void aReloadOfTheEncodingAppliesToEventsAlreadyQueued(@TempDir final Path dir) throws Exception {
        final Set<String> payloads = ConcurrentHashMap.newKeySet();
        try (TestReceiver receiver = recording(payloads)) {
        final EndpointConfig plain = disk(receiver.port(), dir).build();
        try (Webhook webhook = Webhook.start(WebhookConfig.of(plain))) {
            for (int i = 0; i < 10; i++) {
                webhook.publish(event(i));
            }
            // some are in delivery, serialized in plain for their first attempts; the rest wait in the file
            await().until(() -> webhook.metrics().requestsSent() > 0
                    && webhook.metrics().queued() + webhook.metrics().inDelivery() == 10);
            webhook.reconfigure(WebhookConfig.of(plain.toBuilder().encoding(PayloadEncoding.BASE64).build()));
            receiver.up();
            await().atMost(Duration.ofSeconds(20)).until(() -> webhook.metrics().deliveredCount() == 10);
            final Set<String> expected = new java.util.HashSet<>();
            for (int i = 0; i < 10; i++) {
                expected.add(java.util.Base64.getEncoder().encodeToString(Integer.toString(i).getBytes(StandardCharsets.UTF_8)));
            }
            assertThat(payloads).isEqualTo(expected);
        }
        }
    }

    @Test
    void aDamagedQueueFileIsMovedAsideAndANewOneStarted(@TempDir final Path dir) throws Exception {
        Files.write(dir.resolve("queue.mv.db"), "this is not an MVStore file, it is garbage".repeat(200)
                .getBytes(StandardCharsets.UTF_8));
        try (TestReceiver receiver = TestReceiver.start();
             Webhook webhook = start(disk(receiver.port(), dir))) {
            webhook.publish(event(1));
            await().until(() -> receiver.count() == 1);
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("queue.mv.db.damaged-"));
        }
    }

    @Test
    void batchingAndPerClientOrderingWorkFromDisk(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.startDown();
             Webhook webhook = start(disk(receiver.port(), dir).batchMaxEvents(10).batchMaxDelay(Duration.ofMillis(50))
                .ordering(io.mqttwebhook.config.Ordering.PER_CLIENT))) {
            for (int i = 0; i < 300; i++) {
                webhook.publish(event(i));
            }
            final Map<String, List<Integer>> order = new ConcurrentHashMap<>();
            final Pattern client = Pattern.compile("\"from_client_id\":\"(c\\d)\",\"payload\":\"(\\d+)\"");
            {
                receiver.replyWith(r -> {
                    assertThat(r.body()).startsWith("[{").endsWith("}]");
                    final Matcher m = client.matcher(r.body());
                    while (m.find()) {
                        order.computeIfAbsent(m.group(1), c -> new CopyOnWriteArrayList<>()).add(Integer.parseInt(m.group(2)));
                    }
                    return TestReceiver.Reply.status(200);
                });
                receiver.up();
                await().atMost(Duration.ofSeconds(30)).until(() -> webhook.metrics().deliveredCount() == 300);
                assertThat(receiver.count()).isLessThan(300);
            }
            assertThat(order).hasSize(3);
            order.values().forEach(numbers -> assertThat(numbers).hasSize(100).isSorted());
        }
    }

    @Test
    void aTruncatedQueueFileNeverStopsTheStart(@TempDir final Path dir) throws Exception {
        final TestReceiver receiver = TestReceiver.startDown();
        final int port = receiver.port();
        try (Webhook first = start(disk(port, dir))) {
            for (int i = 0; i < 500; i++) {
                first.publish(event(i));
            }
        } // the stop stores and commits what was handed off
        assertThat(QueueFiles.committedEvents(dir)).isEqualTo(500);
        final Path file = dir.resolve("queue.mv.db");
        final byte[] whole = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(whole, whole.length / 2));
        // what MVStore can still read is delivered, or the file is moved aside: either way the webhook runs
        receiver.up();
        try (receiver; Webhook second = start(disk(port, dir))) {
            second.publish(event(9999));
            await().atMost(Duration.ofSeconds(20)).until(() -> receiver.requests().stream()
                    .anyMatch(r -> r.body().contains("\"payload\":\"9999\"")));
        }
    }

    @Test
    void configurationReadsTheDiskKeys(@TempDir final Path dir) {
        final EndpointConfig config = ConfigLoader.parse("webhook {\n url = \"http://h/\"\n queue { type = disk, dir = \""
                + dir + "\", max_bytes = 64MB, sync_interval = 20ms }\n}", "t").config().orElseThrow().endpoints().get(0);
        assertThat(config.queueType()).isEqualTo(QueueType.DISK);
        assertThat(config.queueDir()).isEqualTo(dir);
        assertThat(config.queueMaxBytes()).isEqualTo(64_000_000L); // HOCON: MB is 10^6, MiB 2^20
        assertThat(config.queueSyncInterval()).isEqualTo(Duration.ofMillis(20));
    }
}
