package io.mqttwebhook.hivemq;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import io.mqttwebhook.delivery.DeadLetter;
import io.mqttwebhook.testing.DeadLetterDirs;
import io.mqttwebhook.testing.TestReceiver;
import io.mqttwebhook.testing.TestReceiver.Reply;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What an endpoint says back, through a real HiveMQ loading the packaged extension: a refusal becomes a dead
 * letter (counted in HiveMQ's registry), 410 Gone stops the endpoint until the configuration file changes, 429
 * pauses it, and a rate_limit added by a reload spaces the requests out.
 */
class HiveMqEndpointPoliciesIT {

    private static String conf(final TestReceiver receiver, final Path deadLetters, final String extra) {
        return "webhook {\n  url = \"" + receiver.url("/") + "\"\n  reload.interval = 200ms\n"
                + "  retry { initial_backoff = 10ms, max_backoff = 50ms }\n"
                + "  dead_letter.dir = \"" + deadLetters + "\"\n" + extra
                + "  events = [ { event = on_message_publish } ]\n}\n";
    }

    private static void publish(final Mqtt5BlockingClient client, final String payload) {
        client.publishWith().topic("p").qos(MqttQos.AT_LEAST_ONCE).payload(payload.getBytes(StandardCharsets.UTF_8)).send();
    }

    private static long metric(final String name) {
        return HiveMqMetrics.endpoint("default", name);
    }

    @Test
    void refusedGonePausedAndRateLimited(@TempDir final Path dir) throws Exception {
        final Path deadLetters = dir.resolve("dead-letters");
        final AtomicReference<Function<TestReceiver.Request, Reply>> replies = new AtomicReference<>(
                r -> r.body().contains("\"payload\":\"refused\"") ? Reply.status(422) : Reply.status(200));
        try (TestReceiver receiver = TestReceiver.start()) {
            receiver.replyWith(r -> replies.get().apply(r));
            try (HiveMqBroker broker = new HiveMqBroker(dir, conf(receiver, deadLetters, ""))) {
                final Path file = dir.resolve("extensions/mqtt-webhook/conf/webhook.conf");
                final Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier("policies")
                        .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
                client.connect();

                // a refusal: a dead letter, with the body the endpoint got, counted in HiveMQ's registry
                publish(client, "ok");
                publish(client, "refused");
                await().atMost(Duration.ofSeconds(10)).until(() -> metric("dead_letter.status_4xx") == 1
                        && metric("delivered") == 1);
                assertThat(metric("failed.4xx")).isEqualTo(1);
                assertThat(metric("dead_letter.write_failed") + metric("dead_letter.missed")).isZero();
                final DeadLetter letter = DeadLetterDirs.read(deadLetters).get(0);
                final TestReceiver.Request refused = receiver.requests().stream()
                        .filter(r -> r.body().contains("\"refused\"")).findFirst().orElseThrow();
                assertThat(letter.body()).isEqualTo(refused.body());
                assertThat(letter.webhookId()).isEqualTo(refused.header("webhook-id"));
                assertThat(letter.clientId()).isEqualTo("policies");

                // 410 Gone: nothing more is sent; acknowledged publishes wait
                replies.set(r -> Reply.status(410));
                final long delivered = metric("delivered");
                publish(client, "g0");
                await().atMost(Duration.ofSeconds(10)).until(() -> metric("circuit.state") == 4);
                assertThat(metric("up")).isZero();
                final int answered = receiver.count();
                for (int i = 1; i < 5; i++) {
                    publish(client, "g" + i);
                }
                await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(3)).until(() -> receiver.count() == answered);
                assertThat(metric("queued") + metric("in_delivery")).isEqualTo(5);

                // the configuration file changes: the endpoint is sent to again, what waited included
                replies.set(r -> Reply.status(200));
                Files.writeString(file, conf(receiver, deadLetters, "  headers.x-tenant = \"moved\"\n"));
                await().atMost(Duration.ofSeconds(10)).until(() -> metric("delivered") == delivered + 5);
                assertThat(metric("circuit.state")).isZero();
                assertThat(receiver.requests().get(receiver.count() - 1).header("x-tenant")).isEqualTo("moved");

                // 429 with Retry-After: 1 s without any request, then everything
                receiver.clear();
                final java.util.concurrent.atomic.AtomicBoolean first = new java.util.concurrent.atomic.AtomicBoolean(true);
                replies.set(r -> first.getAndSet(false) ? Reply.retryAfter(429, "1") : Reply.status(200));
                publish(client, "t0");
                await().atMost(Duration.ofSeconds(10)).until(() -> metric("circuit.state") == 3);
                for (int i = 1; i < 5; i++) {
                    publish(client, "t" + i);
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> metric("delivered") == delivered + 10);
                final List<TestReceiver.Request> afterPause = receiver.requests();
                assertThat(afterPause.subList(1, afterPause.size())).hasSize(5).allSatisfy(r ->
                        assertThat(r.receivedMillis - afterPause.get(0).receivedMillis).isGreaterThanOrEqualTo(990));

                // a reload adds a rate limit of 5 requests per second: 10 publishes take about 2 s to arrive
                receiver.clear();
                final long reloads = HiveMqMetrics.value("io.mqttwebhook.reload.applied");
                Files.writeString(file, conf(receiver, deadLetters, "  headers.x-tenant = \"moved\"\n"
                        + "  rate_limit { requests_per_second = 5, burst = 1 }\n"));
                await().atMost(Duration.ofSeconds(10)).until(() -> HiveMqMetrics.value("io.mqttwebhook.reload.applied") > reloads);
                for (int i = 0; i < 10; i++) {
                    publish(client, "r" + i);
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> metric("delivered") == delivered + 20);
                final List<TestReceiver.Request> limited = receiver.requests();
                assertThat(limited.get(limited.size() - 1).receivedMillis - limited.get(0).receivedMillis)
                        .isGreaterThanOrEqualTo(9 * 200 - 100);
                client.disconnect();
                assertThat(metric("dropped.queue_full") + metric("dropped.retries_exhausted")).isZero();
            }
        }
    }
}
