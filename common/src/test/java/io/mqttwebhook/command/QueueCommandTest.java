package io.mqttwebhook.command;

import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.QueueType;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.event.ConnackEvent;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.rule.Rule;
import io.mqttwebhook.testing.CheckCommand;
import io.mqttwebhook.testing.QueueFiles;
import io.mqttwebhook.testing.TestReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code queue}: what waits in a disk queue, read from a copy while the webhook holds the file, and never a
 * change to the file it reads.
 */
class QueueCommandTest {

    private final CheckCommand check = new CheckCommand();

    private int queue(final String... args) {
        return check.subcommand("queue", args);
    }

    private String printed() {
        return check.printed();
    }

    private static String digest(final Path file) throws Exception {
        return Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static List<String> listing(final Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.map(Path::toString).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void readsACopyOfTheFileALiveWebhookHoldsAndNeverChangesIt(@TempDir final Path dir) throws Exception {
        final Path queueDir = dir.resolve("queue");
        try (TestReceiver receiver = TestReceiver.startDown()) {
            final EndpointConfig endpoint = EndpointConfig.builder(URI.create(receiver.url("/")))
                    .rule(new Rule(EventType.MESSAGE_PUBLISH, null)).rule(new Rule(EventType.CLIENT_CONNACK, null))
                    .queueType(QueueType.DISK).queueDir(queueDir).queueSyncInterval(Duration.ofMillis(20))
                    .initialBackoff(Duration.ofSeconds(30)).maxBackoff(Duration.ofSeconds(30)).build();
            try (Webhook webhook = Webhook.start(WebhookConfig.builder().endpoint(endpoint)
                    .drainTimeout(Duration.ofMillis(200)).build())) {
                // 11 clients, three of them busier; the oldest event first
                webhook.publish(new PublishEvent("sensor-0", "u", "first/topic", 1, false,
                        "oldest".getBytes(StandardCharsets.UTF_8), 1_700_000_000_000L));
                for (int i = 1; i < 40; i++) {
                    webhook.publish(new PublishEvent("sensor-" + (i % 12 < 6 ? i % 3 : i % 12), "u", "t", 1, false,
                            Integer.toString(i).getBytes(StandardCharsets.UTF_8), 1_700_000_000_000L + i));
                }
                for (int i = 0; i < 5; i++) {
                    webhook.publish(new ConnackEvent("sensor-" + i, "u", 4, 60, "success"));
                }
                await().atMost(Duration.ofSeconds(20)).ignoreExceptions()
                        .until(() -> QueueFiles.committedEvents(queueDir) == 45);

                // the webhook is running and holds the file
                assertThat(queue(queueDir.toString(), "--peek", "1")).as(printed()).isEqualTo(QueueCommand.OK);
                final String printed = printed();
                assertThat(printed).contains("events:     45 waiting or in delivery",
                        "by event:   on_client_connack 5, on_message_publish 40",
                        "by client:  11 client id(s), the top 10", "the oldest 1 (webhook-id, body in plain):",
                        "\"topic\":\"first/topic\"", "\"payload\":\"oldest\"");
                assertThat(printed).containsPattern("oldest: +\\d{4}-\\d\\d-\\d\\dT");
                assertThat(printed).containsPattern("sensor-0 +\\d+");
                assertThat(printed).containsPattern("msg_[A-Za-z0-9_-]{12}_0 +\\{\"ts\":1700000000000");
                assertThat(webhook.metrics().queued() + webhook.metrics().inDelivery()).isEqualTo(45);
            }
            // stopped: the file stays as the command found it, and nothing is added beside it
            final Path file = queueDir.resolve("queue.mv.db");
            final String before = digest(file);
            final long modified = Files.getLastModifiedTime(file).toMillis();
            final List<String> files = listing(dir);
            assertThat(queue(file.toString(), "--peek", "3", "--encoding", "base64")).isEqualTo(QueueCommand.OK);
            assertThat(printed()).contains("events:     45", "body in base64", "\"payload\":\"b2xkZXN0\"");
            assertThat(digest(file)).isEqualTo(before);
            assertThat(Files.getLastModifiedTime(file).toMillis()).isEqualTo(modified);
            assertThat(listing(dir)).isEqualTo(files);
        }
    }

    @Test
    void saysWhatIsWrongWithItsArguments(@TempDir final Path dir) {
        assertThat(queue()).isEqualTo(QueueCommand.USAGE);
        assertThat(printed()).contains("which queue?", "usage: java -jar mqtt-webhook-check.jar queue");
        assertThat(queue(dir.toString())).isEqualTo(QueueCommand.UNREADABLE);
        assertThat(printed()).contains("no queue file at " + dir.resolve("queue.mv.db"));
        assertThat(queue(dir.toString(), "--peek", "many")).isEqualTo(QueueCommand.USAGE);
        assertThat(queue(dir.toString(), "--encoding", "hex")).isEqualTo(QueueCommand.USAGE);
        assertThat(printed()).contains("--encoding hex is not one of plain, base64, base62");
    }
}
