package io.mqttwebhook;

import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.event.ConnackEvent;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.testing.Sockets;
import io.mqttwebhook.testing.TestReceiver;
import io.mqttwebhook.testing.TestReceiver.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ReloadTest {

    private static String conf(final TestReceiver receiver, final String events, final String extra) {
        return "webhook {\n  url = \"" + receiver.url("/") + "\"\n  reload.interval = 0\n" + extra
                + "  events = [ " + events + " ]\n}\n";
    }

    private static PublishEvent publish(final String topic, final int n) {
        return new PublishEvent("c", "u", topic, 1, false, Integer.toString(n).getBytes(StandardCharsets.UTF_8), n);
    }

    @Test
    void urlRulesAndHeadersChangeWhileEventsFlowAndNoneIsLost(@TempDir final Path dir) throws Exception {
        try (TestReceiver first = TestReceiver.start(); TestReceiver second = TestReceiver.start()) {
            first.replyWith(r -> Reply.slow(200, 20));
            final Path file = dir.resolve("webhook.conf");
            Files.writeString(file, conf(first, "{ event = on_message_publish, topic = \"a/#\" }", ""));
            try (Webhook webhook = Webhook.start(ConfigLoader.load(file).config().orElseThrow());
                 ConfigWatcher watcher = ConfigWatcher.start(file, webhook, Duration.ofHours(1))) {
                for (int i = 0; i < 100; i++) {
                    webhook.publish(publish("a/x", i));
                }
                Files.writeString(file, conf(second, "{ event = on_message_publish, topic = \"b/#\" }, "
                        + "{ event = on_client_connack }", "  headers.x-config = \"v2\"\n  pool_size = 4\n"));
                watcher.check();
                // after the swap: the new rules, url and headers; events queued before it are still delivered
                for (int i = 100; i < 200; i++) {
                    webhook.publish(publish("b/x", i));
                }
                webhook.publish(publish("a/x", 999));
                webhook.publish(new ConnackEvent("c", null, 4, 60, "success"));
                await().atMost(Duration.ofSeconds(20)).until(() -> webhook.metrics().deliveredCount() == 201);
                final Set<String> payloads = new HashSet<>();
                first.requests().forEach(r -> payloads.add(r.body()));
                second.requests().forEach(r -> payloads.add(r.body()));
                assertThat(payloads).hasSize(201);
                assertThat(second.requests()).allSatisfy(r -> assertThat(r.header("x-config")).isEqualTo("v2"));
                assertThat(second.bodiesOf("c")).anyMatch(b -> b.contains("client_connack"));
                assertThat(first.requests()).noneMatch(r -> r.body().contains("b/x") || r.body().contains("client_connack"));
                assertThat(webhook.metrics().droppedTotal() + webhook.metrics().failedCount()).isZero();
            }
        }
    }

    @Test
    void aSmallerPoolTakesEffectWhileABacklogIsBeingDelivered(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.replyWith(r -> Reply.slow(200, 30));
            final Path file = dir.resolve("webhook.conf");
            Files.writeString(file, conf(receiver, "{ event = on_message_publish }", "  pool_size = 8\n"));
            try (Webhook webhook = Webhook.start(ConfigLoader.load(file).config().orElseThrow());
                 ConfigWatcher watcher = ConfigWatcher.start(file, webhook, Duration.ofHours(1))) {
                for (int i = 0; i < 400; i++) {
                    webhook.publish(publish("a/x", i));
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> receiver.maxConcurrent() == 8);
                Files.writeString(file, conf(receiver, "{ event = on_message_publish }", "  pool_size = 2\n"));
                watcher.check();
                // requests started before the swap end within one reply; after that, at most 2 at a time
                await().until(() -> webhook.metrics().inFlight() <= 2);
                receiver.clear();
                final long deliveredBefore = webhook.metrics().deliveredCount();
                await().atMost(Duration.ofSeconds(30)).until(() -> webhook.metrics().deliveredCount() == 400);
                assertThat(400 - deliveredBefore).as("delivered after the swap").isGreaterThan(50);
                assertThat(receiver.count()).isGreaterThan(50);
                assertThat(receiver.maxConcurrent()).isEqualTo(2);
            }
        }
    }

    @Test
    void anInvalidEditKeepsTheConfigurationInForce(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final Path file = dir.resolve("webhook.conf");
            Files.writeString(file, conf(receiver, "{ event = on_message_publish }", ""));
            try (Webhook webhook = Webhook.start(ConfigLoader.load(file).config().orElseThrow());
                 ConfigWatcher watcher = ConfigWatcher.start(file, webhook, Duration.ofHours(1))) {
                Files.writeString(file, conf(receiver, "{ event = on_message_publish }", "  pool_size = 0\n"));
                watcher.check();
                Files.writeString(file, "mqtt { }\n");
                watcher.check();
                webhook.publish(publish("t", 1));
                await().until(() -> receiver.count() == 1);
                assertThat(webhook.config().endpoints().get(0).poolSize()).isEqualTo(32);
            }
        }
    }

    @Test
    void theFileIsWatchedEveryReloadInterval(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final Path file = dir.resolve("webhook.conf");
            Files.writeString(file, conf(receiver, "{ event = on_client_connack }", "").replace("reload.interval = 0",
                    "reload.interval = 100ms"));
            try (Webhook webhook = Webhook.start(ConfigLoader.load(file).config().orElseThrow())) {
                webhook.watch(file);
                Files.writeString(file, conf(receiver, "{ event = on_message_publish }", ""));
                await().atMost(Duration.ofSeconds(5)).until(() -> webhook.routing().match(
                        io.mqttwebhook.event.EventType.MESSAGE_PUBLISH, "any") != 0);
            }
            await().untilAsserted(() -> assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.isAlive()
                    && t.getName().equals("mqtt-webhook-config-watch")));
        }
    }

    private static java.util.Set<String> webhookThreads() {
        final java.util.Set<String> names = new java.util.TreeSet<>();
        for (final Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.isAlive() && (thread.getName().startsWith("mqtt-webhook") || thread.getName().contains("httpclient"))) {
                names.add(thread.getName());
            }
        }
        return names;
    }

    @Test
    void reloadsThenAStopAtOnceLeaveNoThreadNoConnectionAndEveryEventAccountedFor(@TempDir final Path dir)
            throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.replyWith(r -> Reply.slow(200, 20));
            final Path file = dir.resolve("webhook.conf");
            for (int round = 0; round < 3; round++) {
                Files.writeString(file, conf(receiver, "{ event = on_message_publish }", "  pool_size = 4\n"));
                final Webhook webhook = Webhook.start(ConfigLoader.load(file).config().orElseThrow());
                for (int i = 0; i < 100; i++) {
                    webhook.publish(publish("a/x", i));
                }
                await().until(() -> Sockets.establishedTo(receiver.port()) > 0);
                // each reload builds a new HTTP client while the old one still has requests under way
                for (int reload = 0; reload < 3; reload++) {
                    Files.writeString(file, conf(receiver, "{ event = on_message_publish }",
                            "  pool_size = " + (2 + reload) + "\n  headers.x-reload = \"" + reload + "\"\n"));
                    webhook.reconfigure(ConfigLoader.load(file).config().orElseThrow());
                    webhook.publish(publish("a/x", 1000 + reload));
                }
                webhook.close();
                webhook.publish(publish("a/x", 9999)); // after the stop: counted, not ignored
                final io.mqttwebhook.metrics.WebhookMetrics m = webhook.metrics();
                assertThat(m.matchedTotal()).isEqualTo(104);
                assertThat(m.deliveredCount() + m.failedCount() + m.droppedTotal()).as("accounted at the stop line")
                        .isEqualTo(m.matchedTotal());
                assertThat(m.queued() + m.inDelivery()).isZero();
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(webhookThreads()).isEmpty());
                await().atMost(Duration.ofSeconds(10)).until(() -> Sockets.establishedTo(receiver.port()) == 0);
            }
        }
    }

    @Test
    void aReloadNamesEveryRestartOnlyKeyItChanged(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.start()) {
            final Path file = dir.resolve("webhook.conf");
            Files.writeString(file, conf(receiver, "{ event = on_message_publish }", ""));
            try (Webhook webhook = Webhook.start(ConfigLoader.load(file).config().orElseThrow())) {
                Files.writeString(file, conf(receiver, "{ event = on_message_publish }", "  queue.capacity = 10\n"
                        + "  ordering = per_client\n  pool_size = 3\n  reload.interval = 1s\n"));
                assertThat(webhook.reconfigure(ConfigLoader.load(file).config().orElseThrow()))
                        .containsExactly("webhook.reload.interval", "webhook.queue.capacity", "webhook.ordering");
                assertThat(webhook.config().endpoints().get(0).poolSize()).isEqualTo(3);
            }
        }
    }
}
