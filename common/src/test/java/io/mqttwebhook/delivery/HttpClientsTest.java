package io.mqttwebhook.delivery;

import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.HttpClientKind;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.metrics.WebhookMetrics;
import io.mqttwebhook.rule.Rule;
import io.mqttwebhook.testing.Closer;
import io.mqttwebhook.testing.RawHttpServer;
import io.mqttwebhook.testing.TestReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The delivery engine on either HTTP client ({@code http.client}), and on pipelined connections: how many
 * connections {@code pool_size} and {@code pipelining} give, the cancel_timeout sweep on a pipelined
 * connection, a reload from one client to the other.
 */
class HttpClientsTest {

    @RegisterExtension
    final Closer closer = new Closer();

    private static EndpointConfig.Builder config(final String url) {
        return EndpointConfig.builder(URI.create(url))
                .rule(new Rule(EventType.MESSAGE_PUBLISH, "#"))
                .initialBackoff(Duration.ofMillis(20))
                .maxBackoff(Duration.ofMillis(100));
    }

    private static PublishEvent publish(final int n) {
        return new PublishEvent("c" + (n % 5), "user", "t/" + n, 1, false,
                Integer.toString(n).getBytes(StandardCharsets.UTF_8), 1_700_000_000_000L + n);
    }

    private static void assertAccountedFor(final WebhookMetrics m) {
        assertThat(m.deliveredCount() + m.failedCount() + m.droppedTotal() + m.queued() + m.inDelivery())
                .isEqualTo(m.matchedTotal());
    }

    private static RawHttpServer answering() throws Exception {
        return RawHttpServer.start(conn -> {
            for (RawHttpServer.Request request = conn.read(); request != null; request = conn.read()) {
                conn.write("HTTP/1.1 204 No Content\r\n\r\n");
            }
        });
    }

    @Test
    void aFastEndpointGetsRequestsPipelined() throws Exception {
        final RawHttpServer server = closer.add(answering());
        final Webhook webhook = closer.add(Webhook.start(WebhookConfig.of(config(server.url("/hook")).poolSize(8)
                .build())));
        for (int i = 0; i < 2000; i++) {
            webhook.publish(publish(i));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> webhook.metrics().deliveredCount() == 2000);
        assertThat(server.requests()).hasSize(2000);
        assertThat(server.requests()).as("requests that arrived with others behind them").anyMatch(r -> r.followed);
        assertThat(server.connections()).isBetween(1, 8);
        assertThat(server.errors()).isEmpty();
        assertAccountedFor(webhook.metrics());
    }

    @Test
    void aSlowEndpointGetsAConnectionPerRequestInFlightAndNothingPipelined() throws Exception {
        final RawHttpServer server = closer.add(RawHttpServer.start(conn -> {
            for (RawHttpServer.Request request = conn.read(); request != null; request = conn.read()) {
                // the endpoint's own work, as in Http1ClientTest: a lower bound on the answer time, not a wait
                Thread.sleep(30);
                conn.write("HTTP/1.1 204 No Content\r\n\r\n");
            }
        }));
        final Webhook webhook = closer.add(Webhook.start(WebhookConfig.of(config(server.url("/hook")).poolSize(8)
                .pipelining(8).build())));
        for (int i = 0; i < 64; i++) {
            webhook.publish(publish(i));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> webhook.metrics().deliveredCount() == 64);
        assertThat(server.connections()).isEqualTo(8);
        assertThat(server.requests()).noneMatch(r -> r.followed);
        assertAccountedFor(webhook.metrics());
    }

    @Test
    void theCancelTimeoutSweepRetriesEveryEventOnTheConnectionItCloses() throws Exception {
        final int warmUp = 30;
        final RawHttpServer server = closer.add(RawHttpServer.start(conn -> {
            if (conn.index == 0) {
                for (int i = 0; i < warmUp; i++) {
                    conn.read();
                    conn.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                }
                while (conn.read() != null) {
                    // then never answers again
                }
                return;
            }
            for (RawHttpServer.Request request = conn.read(); request != null; request = conn.read()) {
                conn.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
            }
        }));
        final Webhook webhook = closer.add(Webhook.start(WebhookConfig.of(config(server.url("/hook"))
                .poolSize(4).pipelining(4).cancelTimeout(Duration.ofMillis(300)).build())));
        // one at a time: all on the first connection, and the client sees a fast endpoint
        for (int i = 0; i < warmUp; i++) {
            webhook.publish(publish(i));
            final long delivered = i + 1;
            await().atMost(Duration.ofSeconds(10)).until(() -> webhook.metrics().deliveredCount() == delivered);
        }
        for (int i = warmUp; i < warmUp + 4; i++) {
            webhook.publish(publish(i));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> webhook.metrics().deliveredCount() == warmUp + 4);
        final List<RawHttpServer.Request> unanswered = server.requests().stream().filter(r -> r.connection == 0)
                .skip(warmUp).collect(java.util.stream.Collectors.toList());
        assertThat(unanswered).as("pipelined together on the fast connection").hasSize(4);
        for (final RawHttpServer.Request request : unanswered) {
            assertThat(server.requests()).as("retried elsewhere: " + request)
                    .anyMatch(r -> r.connection != 0 && r.header("webhook-id").equals(request.header("webhook-id")));
        }
        assertThat(webhook.metrics().retriedCount()).isGreaterThanOrEqualTo(4);
        assertThat(webhook.metrics().droppedTotal() + webhook.metrics().failedCount()).isZero();
        assertAccountedFor(webhook.metrics());
    }

    @Test
    void aReloadMovesAnEndpointFromOneClientToTheOther() throws Exception {
        final TestReceiver receiver = closer.add(TestReceiver.start());
        final String file = "webhook {\n url = \"" + receiver.url("/hook") + "\"\n %s\n"
                + " events = [ { event = on_message_publish } ]\n}";
        final WebhookConfig apache = ConfigLoader.parse(String.format(file, "http.client = apache"), "a.conf")
                .config().orElseThrow();
        assertThat(apache.endpoints().get(0).httpClient()).isEqualTo(HttpClientKind.APACHE);
        final Webhook webhook = closer.add(Webhook.start(apache));
        webhook.publish(publish(1));
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.count() == 1);
        webhook.reconfigure(ConfigLoader.parse(String.format(file, "http.client = nio, pipelining = 2"), "b.conf")
                .config().orElseThrow());
        webhook.publish(publish(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.count() == 2);
        for (final TestReceiver.Request request : receiver.requests()) {
            assertThat(request.header("user-agent")).isEqualTo("mqtt-webhook");
            assertThat(request.header("content-type")).isEqualTo("application/json");
            assertThat(request.target).isEqualTo("/hook");
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> webhook.metrics().deliveredCount() == 2);
    }
}
