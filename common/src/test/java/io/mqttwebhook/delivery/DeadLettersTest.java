package io.mqttwebhook.delivery;

import com.fasterxml.jackson.core.JsonGenerator;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.QueueOverflow;
import io.mqttwebhook.config.QueueType;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.BodyFormat;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.event.WebhookEvent;
import io.mqttwebhook.metrics.DeadLetterCause;
import io.mqttwebhook.metrics.EndpointMetrics;
import io.mqttwebhook.metrics.WebhookMetrics.DropCause;
import io.mqttwebhook.rule.Rule;
import io.mqttwebhook.testing.Closer;
import io.mqttwebhook.testing.DeadLetterDirs;
import io.mqttwebhook.testing.TestReceiver;
import io.mqttwebhook.testing.TestReceiver.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every way an endpoint gives an event up lands in its dead-letter file, one line per event, with the body it
 * was (or would have been) sent with, byte for byte, its webhook-id, the cause and the attempts; and the
 * metrics say, per cause, how many were given up and how many of those were written.
 */
class DeadLettersTest {

    @RegisterExtension
    final Closer closer = new Closer();

    private static EndpointConfig.Builder config(final String url, final Path deadLetters) {
        return EndpointConfig.builder(URI.create(url)).rule(new Rule(EventType.MESSAGE_PUBLISH, null))
                .initialBackoff(Duration.ofMillis(10)).maxBackoff(Duration.ofMillis(50)).deadLetterDir(deadLetters);
    }

    private Webhook start(final EndpointConfig.Builder... endpoints) {
        final WebhookConfig.Builder config = WebhookConfig.builder().drainTimeout(Duration.ofMillis(500));
        for (final EndpointConfig.Builder endpoint : endpoints) {
            config.endpoint(endpoint.build());
        }
        return closer.add(Webhook.start(config.build()));
    }

    static PublishEvent event(final String client, final String payload) {
        return new PublishEvent(client, "user", "t/" + client, 1, false, payload.getBytes(StandardCharsets.UTF_8),
                1_700_000_000_000L);
    }

    /** The body of {@link #event}, as the specification writes it. */
    static String body(final String client, final String payload) {
        return "{\"ts\":1700000000000,\"topic\":\"t/" + client + "\",\"retain\":false,\"qos\":1,"
                + "\"action\":\"message_publish\",\"from_username\":\"user\",\"from_client_id\":\"" + client
                + "\",\"payload\":\"" + payload + "\"}";
    }

    /** Every dead letter in {@code dir}, oldest file first. */
    /** Waits until {@code count} dead letters are written and nothing waits for the writer. */
    private static void awaitWritten(final EndpointMetrics m, final long count) {
        await().atMost(Duration.ofSeconds(20)).until(() -> m.deadLetters().writtenTotal() >= count
                && m.deadLetters().pending() == 0);
        assertThat(m.deadLetters().writtenTotal()).isEqualTo(count);
    }

    private static Map<String, DeadLetter> byPayload(final List<DeadLetter> letters) {
        return letters.stream().collect(Collectors.toMap(
                l -> l.body().replaceAll(".*\"payload\":\"([^\"]*)\".*", "$1"), Function.identity()));
    }

    private static void assertAccounted(final EndpointMetrics m) {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(m.deliveredCount() + m.failedCount()
                + m.droppedTotal() + m.queued() + m.inDelivery()).isEqualTo(m.matchedCount()));
    }

    @Test
    void refusalsLandWithTheBodyTheEndpointGotAndItsWebhookId(@TempDir final Path dir) throws Exception {
        final TestReceiver receiver = closer.add(TestReceiver.start());
        receiver.replyWith(r -> r.body().contains("\"not-found\"") ? Reply.status(404)
                : r.body().contains("\"moved\"") ? Reply.status(302) : Reply.status(200));
        final Webhook webhook = start(config(receiver.url("/"), dir));
        final EndpointMetrics m = webhook.metrics().endpoints().get(0);
        for (final String payload : List.of("ok1", "not-found", "moved", "ok2")) {
            webhook.publish(event("c1", payload));
        }
        awaitWritten(m, 2);
        final Map<String, DeadLetter> letters = byPayload(DeadLetterDirs.read(dir));
        for (final String payload : List.of("not-found", "moved")) {
            final TestReceiver.Request sent = receiver.requests().stream()
                    .filter(r -> r.body().contains("\"" + payload + "\"")).findFirst().orElseThrow();
            final DeadLetter letter = letters.get(payload);
            assertThat(letter.body()).isEqualTo(sent.body()).isEqualTo(body("c1", payload));
            assertThat(letter.webhookId()).isEqualTo(sent.header("webhook-id"));
            assertThat(letter.endpoint()).isEqualTo("default");
            assertThat(letter.attempts()).isEqualTo(1);
            assertThat(letter.firstAttemptMillis()).isPositive();
            assertThat(letter.lastAttemptMillis() - letter.firstAttemptMillis()).isBetween(0L, 1000L);
            assertThat(letter.event()).isEqualTo("on_message_publish");
            assertThat(letter.clientId()).isEqualTo("c1");
            assertThat(letter.topic()).isEqualTo("t/c1");
            assertThat(letter.error()).isNull();
            assertThat(letter.batchIndex()).isEqualTo(-1);
        }
        assertThat(letters.get("not-found").cause()).isEqualTo("status_4xx");
        assertThat(letters.get("not-found").status()).isEqualTo(404);
        assertThat(letters.get("moved").cause()).isEqualTo("status_3xx");
        assertThat(letters.get("moved").status()).isEqualTo(302);
        assertThat(m.deadLetters().writtenCount(DeadLetterCause.STATUS_4XX)).isEqualTo(m.failedCount("4xx")).isEqualTo(1);
        assertThat(m.deadLetters().writtenCount(DeadLetterCause.STATUS_3XX)).isEqualTo(m.failedCount("3xx")).isEqualTo(1);
        assertAccounted(m);
        assertThat(m.accounting()).startsWith("matched=4 delivered=2 failed=2 dropped=0")
                .contains("failed.3xx=1 dead-lettered=1", "failed.4xx=1 dead-lettered=1");
    }

    @Test
    void retriesExhaustedCarryTheLastStatusOrTheLastError(@TempDir final Path dir) throws Exception {
        final TestReceiver receiver = closer.add(TestReceiver.start());
        receiver.replyWith(r -> r.body().contains("\"poison\"") ? Reply.status(500)
                : r.body().contains("\"slow\"") ? Reply.slow(200, 2000) : Reply.status(200));
        final Webhook webhook = start(config(receiver.url("/"), dir).maxAttempts(3)
                .cancelTimeout(Duration.ofMillis(200)));
        final EndpointMetrics m = webhook.metrics().endpoints().get(0);
        webhook.publish(event("c1", "poison"));
        webhook.publish(event("c2", "slow"));
        // the slow event's timeouts count only while the endpoint answers others: keep it answering
        int n = 0;
        while (m.droppedCount(DropCause.RETRIES_EXHAUSTED) < 2 && n < 10_000) {
            webhook.publish(event("c3", "ok" + n++));
            final int sent = n;
            await().atMost(Duration.ofSeconds(10)).until(() -> m.deliveredCount() >= sent);
        }
        awaitWritten(m, 2);
        final Map<String, DeadLetter> letters = byPayload(DeadLetterDirs.read(dir));
        final DeadLetter poison = letters.get("poison");
        assertThat(poison.cause()).isEqualTo("retries_exhausted");
        assertThat(poison.status()).isEqualTo(500);
        assertThat(poison.error()).isNull();
        assertThat(poison.attempts()).isEqualTo(3);
        assertThat(poison.lastAttemptMillis()).isGreaterThan(poison.firstAttemptMillis());
        final List<TestReceiver.Request> poisonSent = receiver.requests().stream()
                .filter(r -> r.body().contains("\"poison\"")).collect(Collectors.toList());
        assertThat(poisonSent).hasSize(3).allSatisfy(r -> {
            assertThat(r.body()).isEqualTo(poison.body());
            assertThat(r.header("webhook-id")).isEqualTo(poison.webhookId());
        });
        final DeadLetter slow = letters.get("slow");
        assertThat(slow.cause()).isEqualTo("retries_exhausted");
        assertThat(slow.status()).isZero();
        assertThat(slow.error()).isEqualTo("cancelled after cancel_timeout");
        assertThat(slow.body()).isEqualTo(body("c2", "slow"));
        assertThat(m.deadLetters().writtenCount(DeadLetterCause.RETRIES_EXHAUSTED)).isEqualTo(2);
    }

    @Test
    void aFullMemoryQueueDeadLettersEveryEventItDropsAndTheStopWhatIsLeft(@TempDir final Path dir) throws Exception {
        for (final QueueOverflow overflow : QueueOverflow.values()) {
            final Path letters = dir.resolve(overflow.name());
            final TestReceiver receiver = closer.add(TestReceiver.start());
            receiver.replyWith(r -> Reply.hang());
            final Webhook webhook = start(config(receiver.url("/"), letters).poolSize(1).queueCapacity(3)
                    .queueOverflow(overflow).cancelTimeout(Duration.ofSeconds(60)));
            final EndpointMetrics m = webhook.metrics().endpoints().get(0);
            webhook.publish(event("c", "0"));
            await().until(() -> receiver.count() == 1); // in flight: the queue is empty again
            for (int i = 1; i < 10; i++) {
                webhook.publish(event("c", Integer.toString(i)));
            }
            awaitWritten(m, 6);
            final List<String> expected = overflow == QueueOverflow.DROP_NEWEST
                    ? List.of("4", "5", "6", "7", "8", "9") : List.of("1", "2", "3", "4", "5", "6");
            final List<DeadLetter> dropped = DeadLetterDirs.read(letters);
            assertThat(dropped).extracting(DeadLetter::body)
                    .containsExactlyElementsOf(expected.stream().map(p -> body("c", p)).collect(Collectors.toList()));
            assertThat(dropped).allSatisfy(l -> {
                assertThat(l.cause()).isEqualTo("queue_full");
                assertThat(l.attempts()).isZero();
                assertThat(l.firstAttemptMillis()).isZero();
                assertThat(l.webhookId()).startsWith("msg_");
            });
            assertThat(dropped.stream().map(DeadLetter::webhookId).distinct()).hasSize(6);

            webhook.close(); // the one in flight and the three queued are left at the stop
            assertThat(m.droppedCount(DropCause.SHUTDOWN)).isEqualTo(4);
            assertThat(m.deadLetters().writtenCount(DeadLetterCause.SHUTDOWN)).isEqualTo(4);
            final List<DeadLetter> all = DeadLetterDirs.read(letters);
            final List<DeadLetter> atStop = all.subList(6, all.size());
            assertThat(atStop).allSatisfy(l -> assertThat(l.cause()).isEqualTo("shutdown"));
            final DeadLetter inFlight = byPayload(atStop).get("0");
            assertThat(inFlight.attempts()).isEqualTo(1);
            assertThat(inFlight.webhookId()).isEqualTo(receiver.requests().get(0).header("webhook-id"));
            assertThat(m.matchedCount()).isEqualTo(10).isEqualTo(m.droppedTotal());
            assertThat(m.accounting()).contains("dropped.queue_full=6 dead-lettered=6",
                    "dropped.shutdown=4 dead-lettered=4");
        }
    }

    @Test
    void aRemovedEndpointDeadLettersWhatItCouldNotDeliverInAFolderItShares(@TempDir final Path dir) throws Exception {
        final TestReceiver up = closer.add(TestReceiver.start());
        final TestReceiver down = closer.add(TestReceiver.startDown());
        final EndpointConfig.Builder kept = EndpointConfig.builder("kept", URI.create(up.url("/")))
                .rule(new Rule(EventType.MESSAGE_PUBLISH, null)).deadLetterDir(dir);
        final EndpointConfig.Builder removed = EndpointConfig.builder("removed", URI.create(down.url("/")))
                .rule(new Rule(EventType.MESSAGE_PUBLISH, null)).deadLetterDir(dir);
        final Webhook webhook = start(kept, removed);
        final EndpointMetrics removedMetrics = webhook.metrics().endpoint("removed");
        for (int i = 0; i < 5; i++) {
            webhook.publish(event("c", Integer.toString(i)));
        }
        await().until(() -> webhook.metrics().endpoint("kept").deliveredCount() == 5);
        webhook.reconfigure(WebhookConfig.builder().endpoint(kept.build()).drainTimeout(Duration.ofMillis(300)).build());
        assertThat(removedMetrics.droppedCount(DropCause.REMOVED)).isEqualTo(5);
        assertThat(removedMetrics.deadLetters().writtenCount(DeadLetterCause.REMOVED)).isEqualTo(5);
        assertThat(DeadLetterDirs.read(dir)).hasSize(5).allSatisfy(l -> {
            assertThat(l.cause()).isEqualTo("removed");
            assertThat(l.endpoint()).isEqualTo("removed");
        });
        assertThat(DeadLetterFiles.files(dir)).allSatisfy(f -> assertThat(f.getFileName().toString()).startsWith("removed."));
        assertThat(byPayload(DeadLetterDirs.read(dir)).keySet()).containsExactlyInAnyOrder("0", "1", "2", "3", "4");
    }

    @Test
    void aFullDiskQueueDeadLettersInItsOwnFolderByDefaultWithTheStoredIds(@TempDir final Path dir) throws Exception {
        final Set<String> delivered = java.util.concurrent.ConcurrentHashMap.newKeySet();
        final TestReceiver receiver = closer.add(TestReceiver.startDown());
        receiver.replyWith(r -> {
            delivered.add(r.body().replaceAll(".*\"payload\":\"([^\"]*)\".*", "$1"));
            return Reply.status(200);
        });
        final EndpointConfig.Builder disk = EndpointConfig.builder(URI.create(receiver.url("/")))
                .rule(new Rule(EventType.MESSAGE_PUBLISH, null)).queueType(QueueType.DISK).queueDir(dir)
                .queueMaxBytes(400).queueSyncInterval(Duration.ofMillis(20)).maxAttempts(1000)
                .initialBackoff(Duration.ofMillis(10)).maxBackoff(Duration.ofMillis(50));
        assertThat(disk.build().deadLetterDir()).isEqualTo(dir.resolve("dead-letters"));
        final Webhook webhook = start(disk);
        final EndpointMetrics m = webhook.metrics().endpoints().get(0);
        for (int i = 0; i < 30; i++) {
            webhook.publish(event("c", Integer.toString(i)));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> m.droppedCount(DropCause.QUEUE_FULL) > 0
                && m.queued() + m.inDelivery() + m.droppedTotal() == 30);
        awaitWritten(m, m.droppedCount(DropCause.QUEUE_FULL));
        receiver.up();
        await().atMost(Duration.ofSeconds(20)).until(() -> m.deliveredCount() + m.droppedTotal() == 30);
        final List<DeadLetter> letters = DeadLetterDirs.read(dir.resolve("dead-letters"));
        final Set<String> deadLettered = byPayload(letters).keySet();
        // every event is either delivered or a dead letter, never both, never neither
        assertThat(new HashSet<>(deadLettered)).doesNotContainAnyElementsOf(delivered);
        assertThat(deadLettered.size() + delivered.size()).isEqualTo(30);
        assertThat(letters).allSatisfy(l -> {
            assertThat(l.cause()).isEqualTo("queue_full");
            assertThat(l.body()).isEqualTo(body("c", l.body().replaceAll(".*\"payload\":\"([^\"]*)\".*", "$1")));
            // the oldest events were stored: their id is their key in the file, as delivery would have sent it
            assertThat(l.webhookId()).matches("msg_[A-Za-z0-9_-]{12}_[0-9a-z]+");
        });
    }

    @Test
    void aBatchGivesOneLinePerEventWithTheBatchIdAndItsIndex(@TempDir final Path dir) throws Exception {
        final TestReceiver receiver = closer.add(TestReceiver.start());
        receiver.replyWith(r -> Reply.status(422));
        final Webhook webhook = start(config(receiver.url("/"), dir).batchMaxEvents(3)
                .batchMaxDelay(Duration.ofSeconds(2)).poolSize(1));
        final EndpointMetrics m = webhook.metrics().endpoints().get(0);
        for (int i = 0; i < 3; i++) {
            webhook.publish(event("c" + i, "b" + i));
        }
        awaitWritten(m, 3);
        final TestReceiver.Request sent = receiver.requests().get(0);
        assertThat(sent.body()).isEqualTo("[" + body("c0", "b0") + "," + body("c1", "b1") + "," + body("c2", "b2") + "]");
        final List<DeadLetter> letters = DeadLetterDirs.read(dir);
        assertThat(letters).hasSize(3);
        for (int i = 0; i < 3; i++) {
            final DeadLetter letter = letters.get(i);
            assertThat(letter.webhookId()).isEqualTo(sent.header("webhook-id"));
            assertThat(letter.batchIndex()).isEqualTo(i);
            assertThat(letter.batchSize()).isEqualTo(3);
            assertThat(letter.replayId()).isEqualTo(sent.header("webhook-id") + "." + i);
            assertThat(letter.body()).isEqualTo(body("c" + i, "b" + i));
            assertThat(letter.status()).isEqualTo(422);
        }
    }

    /** An event whose body cannot be written (a defect, not an endpoint's answer). */
    private static final class Unwritable extends WebhookEvent {
        Unwritable() {
            super(EventType.MESSAGE_PUBLISH, "broken", "user");
        }

        @Override
        public String topic() {
            return "t/broken";
        }

        @Override
        public void writeBody(final JsonGenerator json, final BodyFormat format) throws IOException {
            throw new IOException("no body for this one");
        }
    }

    @Test
    void aBodyThatCannotBeWrittenIsADeadLetterWithoutBodyAndWithTheError(@TempDir final Path dir) throws Exception {
        final TestReceiver receiver = closer.add(TestReceiver.start());
        final Webhook webhook = start(config(receiver.url("/"), dir));
        final EndpointMetrics m = webhook.metrics().endpoints().get(0);
        webhook.publish(new Unwritable());
        awaitWritten(m, 1);
        final DeadLetter letter = DeadLetterDirs.read(dir).get(0);
        assertThat(letter.cause()).isEqualTo("serialization_failed");
        assertThat(letter.body()).isNull();
        assertThat(letter.error()).contains("the body cannot be written", "cannot serialize");
        assertThat(letter.clientId()).isEqualTo("broken");
        assertThat(m.failedCount("other")).isEqualTo(1);
        assertThat(receiver.count()).isZero();
    }

    @Test
    void filesRotateAndTheOldestIsDeletedAndCountedBeyondMaxBytes(@TempDir final Path dir) throws Exception {
        final TestReceiver receiver = closer.add(TestReceiver.start());
        receiver.replyWith(r -> Reply.status(400));
        // a line is about 500 bytes: each file takes one, and the folder keeps the newest few
        final Webhook webhook = start(config(receiver.url("/"), dir).deadLetterMaxBytes(2000).poolSize(1));
        final EndpointMetrics m = webhook.metrics().endpoints().get(0);
        for (int i = 0; i < 20; i++) {
            webhook.publish(event("c", Integer.toString(i)));
        }
        awaitWritten(m, 20);
        final List<Path> files = DeadLetterFiles.files(dir);
        long bytes = 0;
        for (final Path file : files) {
            bytes += Files.size(file);
        }
        // beyond max_bytes only while the newest file is the only one
        assertThat(bytes <= 2000 || files.size() == 1).as(bytes + " bytes in " + files.size() + " file(s)").isTrue();
        final List<DeadLetter> left = DeadLetterDirs.read(dir);
        assertThat(m.deadLetters().rotatedOutCount()).isPositive().isEqualTo(20 - left.size());
        // the newest are kept, in order
        assertThat(left).extracting(DeadLetter::body).last().isEqualTo(body("c", "19"));
    }

    @Test
    void aWriteThatFailsIsCountedNeverThrownAtDelivery(@TempDir final Path dir) throws Exception {
        final Path notAFolder = Files.writeString(dir.resolve("file"), "x");
        final TestReceiver receiver = closer.add(TestReceiver.start());
        receiver.replyWith(r -> r.body().contains("\"bad\"") ? Reply.status(404) : Reply.status(200));
        final Webhook webhook = start(config(receiver.url("/"), notAFolder));
        final EndpointMetrics m = webhook.metrics().endpoints().get(0);
        for (int i = 0; i < 3; i++) {
            webhook.publish(event("c", "bad"));
        }
        webhook.publish(event("c", "good"));
        await().until(() -> m.deadLetters().writeFailedCount() == 3 && m.deadLetters().pending() == 0);
        await().until(() -> m.deliveredCount() == 1);
        assertThat(m.deadLetters().writtenTotal()).isZero();
        assertThat(m.accounting()).contains("failed.4xx=3 dead-lettered=0", "dead_letter.write_failed=3");
    }

    @Test
    void neitherHeaderValuesNorTheSigningSecretAreWritten(@TempDir final Path dir) throws Exception {
        final TestReceiver receiver = closer.add(TestReceiver.start());
        receiver.replyWith(r -> Reply.status(403));
        final byte[] secret = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
        final Webhook webhook = start(config(receiver.url("/"), dir).header("Authorization", "Bearer s3cr3t-token")
                .signingSecret(secret));
        final EndpointMetrics m = webhook.metrics().endpoints().get(0);
        webhook.publish(event("c", "p"));
        awaitWritten(m, 1);
        assertThat(receiver.requests().get(0).header("webhook-signature")).startsWith("v1,");
        final String written = Files.readString(DeadLetterFiles.files(dir).get(0));
        assertThat(written).doesNotContain("s3cr3t-token").doesNotContain("Bearer").doesNotContain("0123456789abcdef")
                .doesNotContain(java.util.Base64.getEncoder().encodeToString(secret)).doesNotContain("v1,");
    }

    @Test
    void anEventOfferedAfterTheStopIsCountedAsMissedNotLeftPending(@TempDir final Path dir) throws Exception {
        final TestReceiver receiver = closer.add(TestReceiver.start());
        final Webhook webhook = start(config(receiver.url("/"), dir));
        final EndpointMetrics m = webhook.metrics().endpoints().get(0);
        webhook.awaitStarted(Duration.ofSeconds(10));
        webhook.close();
        webhook.routing().offer(event("late", "1"), 1);
        assertThat(m.droppedCount(DropCause.SHUTDOWN)).isEqualTo(1);
        assertThat(m.deadLetters().missedCount()).isEqualTo(1);
        assertThat(m.deadLetters().pending()).isZero();
    }
}
