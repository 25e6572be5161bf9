package io.mqttwebhook.delivery;

import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.metrics.WebhookMetrics.DropCause;
import io.mqttwebhook.testing.TestCerts;
import io.mqttwebhook.testing.TestReceiver;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class TlsDeliveryTest {

    private static TestCerts certs;

    @BeforeAll
    static void pki() throws Exception {
        certs = new TestCerts();
    }

    private static WebhookConfig config(final String url, final String ssl) {
        return ConfigLoader.parse("webhook {\n url = \"" + url + "\"\n ssl { " + ssl + " }\n"
                + " retry { max_attempts = 2, initial_backoff = 10ms, max_backoff = 20ms }\n"
                + " events = [ { event = on_message_publish } ]\n}", "tls.conf").config().orElseThrow();
    }

    private static PublishEvent event() {
        return new PublishEvent("c", "u", "t", 0, false, "x".getBytes(StandardCharsets.UTF_8), 1L);
    }

    @Test
    void mutualTlsWithPemFiles(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.startTls(certs.serverContext(), true)) {
            final String ssl = "cacertfile = \"" + certs.writeCa(dir) + "\", certfile = \"" + certs.writeClientCert(dir)
                    + "\", keyfile = \"" + certs.writeClientKey(dir) + "\"";
            try (Webhook webhook = Webhook.start(config(receiver.url("/hook"), ssl))) {
                webhook.publish(event());
                await().atMost(Duration.ofSeconds(10)).until(() -> webhook.metrics().deliveredCount() == 1);
            }
            assertThat(receiver.requests()).hasSize(1);
            assertThat(receiver.requests().get(0).target).isEqualTo("/hook");
        }
    }

    /** A TLS failure is no answer: the events wait (circuit open) until the configuration is fixed. */
    private static void awaitDownWithNothingLost(final Webhook webhook) {
        await().atMost(Duration.ofSeconds(10)).until(() -> webhook.metrics().endpoints().get(0).circuitState() != 0);
        assertThat(webhook.metrics().droppedTotal() + webhook.metrics().deliveredCount()).isZero();
        assertThat(webhook.metrics().queued() + webhook.metrics().inDelivery()).isEqualTo(1);
    }

    @Test
    void withoutTheClientCertificateTheServerRefusesAndAReloadWithItDelivers(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.startTls(certs.serverContext(), true);
             Webhook webhook = Webhook.start(config(receiver.url("/"), "cacertfile = \"" + certs.writeCa(dir) + "\""))) {
            webhook.publish(event());
            awaitDownWithNothingLost(webhook);
            assertThat(receiver.requests()).isEmpty();
            webhook.reconfigure(config(receiver.url("/"), "cacertfile = \"" + certs.writeCa(dir) + "\", certfile = \""
                    + certs.writeClientCert(dir) + "\", keyfile = \"" + certs.writeClientKey(dir) + "\""));
            await().atMost(Duration.ofSeconds(10)).until(() -> webhook.metrics().deliveredCount() == 1);
            assertThat(receiver.requests()).hasSize(1);
        }
    }

    /** The server's certificate names 127.0.0.1 only: reached as localhost, its name does not match. */
    @Test
    void aServerWhoseCertificateNamesAnotherHostIsRefusedUnlessVerifyIsOff(@TempDir final Path dir) throws Exception {
        try (TestReceiver receiver = TestReceiver.startTls(certs.serverContext(), false)) {
            final String url = receiver.url("/").replace("127.0.0.1", "localhost");
            try (Webhook webhook = Webhook.start(config(url, "cacertfile = \"" + certs.writeCa(dir) + "\""))) {
                webhook.publish(event());
                awaitDownWithNothingLost(webhook);
            }
            assertThat(receiver.requests()).isEmpty();
            try (Webhook webhook = Webhook.start(config(url, "verify = false"))) {
                webhook.publish(event());
                await().atMost(Duration.ofSeconds(10)).until(() -> webhook.metrics().deliveredCount() == 1);
            }
            try (Webhook webhook = Webhook.start(config(receiver.url("/"), "cacertfile = \"" + certs.writeCa(dir) + "\""))) {
                webhook.publish(event());
                await().atMost(Duration.ofSeconds(10)).until(() -> webhook.metrics().deliveredCount() == 1);
            }
        }
    }

    @Test
    void anUntrustedServerIsRefusedUnlessVerifyIsOff(@TempDir final Path dir) throws Exception {
        final TestCerts other = new TestCerts();
        final Path otherCa = TestCerts.writePem(dir.resolve("other-ca.pem"), "CERTIFICATE", other.ca.getEncoded());
        try (TestReceiver receiver = TestReceiver.startTls(certs.serverContext(), false)) {
            try (Webhook webhook = Webhook.start(config(receiver.url("/"), "cacertfile = \"" + otherCa + "\""))) {
                webhook.publish(event());
                awaitDownWithNothingLost(webhook);
            }
            assertThat(receiver.requests()).isEmpty();
            try (Webhook webhook = Webhook.start(config(receiver.url("/"), "verify = false"))) {
                webhook.publish(event());
                await().atMost(Duration.ofSeconds(10)).until(() -> webhook.metrics().deliveredCount() == 1);
            }
        }
    }
}
