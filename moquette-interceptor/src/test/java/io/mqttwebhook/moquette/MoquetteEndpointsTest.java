package io.mqttwebhook.moquette;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import io.mqttwebhook.config.ConfigLoader;
import io.moquette.BrokerConstants;
import io.mqttwebhook.metrics.WebhookMetrics;
import io.mqttwebhook.testing.EndpointReload;
import io.mqttwebhook.testing.FanOut;
import io.mqttwebhook.testing.Isolation;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import static io.mqttwebhook.moquette.MoquetteBroker.jmx;

/**
 * Named endpoints through a real Moquette: fan-out to three real HTTP servers, each with its own rules, method,
 * path, headers and body template (Moquette 0.17 speaks MQTT 3 only: no properties); one endpoint hanging or
 * down does not slow another or the broker; a reload adds, changes and removes endpoints while traffic flows.
 */
class MoquetteEndpointsTest {

    @Test
    void fanOutAndTemplates() throws Exception {
        try (FanOut fanOut = new FanOut()) {
            final WebhookInterceptHandler handler = new WebhookInterceptHandler(ConfigLoader.parse(
                    fanOut.configuration(false), "endpoints.conf").config().orElseThrow());
            try (MoquetteBroker broker = new MoquetteBroker(List.of(handler), null)) {
                final Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3().identifier("fan")
                        .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
                client.connect();
                FanOut.drive(new FanOut.Client() {
                    @Override
                    public void publish(final String topic, final byte[] payload, final boolean withProperties) {
                        client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
                    }

                    @Override
                    public void subscribe(final String filter) {
                        client.subscribeWith().topicFilter(filter).send();
                    }

                    @Override
                    public void disconnect() {
                        client.disconnect();
                    }
                });
                fanOut.expectAll("fan", false);
            } finally {
                handler.close();
            }
        }
    }

    @Test
    void aHangingOrDownEndpointSlowsNeitherAnotherEndpointNorTheBroker() throws Exception {
        try (Isolation isolation = new Isolation()) {
            final WebhookInterceptHandler handler = new WebhookInterceptHandler(ConfigLoader.parse(
                    isolation.configuration(), "isolation.conf").config().orElseThrow());
            try (MoquetteBroker broker = new MoquetteBroker(List.of(handler), null)) {
                final Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3().identifier("iso")
                        .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
                client.connect();
                final byte[] payload = new byte[100];
                isolation.check(300, topic -> {
                    final long start = System.nanoTime();
                    client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
                    return System.nanoTime() - start;
                }, () -> dropped(handler, "other"));
                client.disconnect();
            } finally {
                handler.close();
            }
        }
    }


    private static long dropped(final WebhookInterceptHandler handler, final String endpoint) {
        long total = 0;
        for (final WebhookMetrics.DropCause cause : WebhookMetrics.DropCause.values()) {
            total += jmx(handler, "endpoint_" + endpoint + "_dropped_" + cause.metricName());
        }
        return total;
    }

    @Test
    void endpointsAreAddedChangedAndRemovedByAReloadWhileTrafficFlows(@TempDir final Path dir) throws Exception {
        try (EndpointReload reload = new EndpointReload()) {
            final Path conf = dir.resolve("webhook.conf");
            Files.writeString(conf, reload.before());
            System.setProperty(ConfigLoader.SYSTEM_PROPERTY, conf.toString());
            final Properties properties = MoquetteBroker.defaults();
            properties.setProperty(BrokerConstants.INTERCEPT_HANDLER_PROPERTY_NAME, WebhookInterceptHandler.class.getName());
            try (MoquetteBroker broker = new MoquetteBroker(properties)) {
                final WebhookInterceptHandler handler = WebhookInterceptHandler.latest();
                final Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3().identifier("reload")
                        .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
                client.connect();
                reload.run(conf, n -> client.publishWith().topic("r/t").qos(MqttQos.AT_LEAST_ONCE)
                                .payload(Integer.toString(n).getBytes(StandardCharsets.UTF_8)).send(),
                        () -> jmx(handler, "reload_applied"));
                client.disconnect();
            } finally {
                System.clearProperty(ConfigLoader.SYSTEM_PROPERTY);
            }
        }
    }
}
