package io.mqttwebhook.moquette;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.testing.FanOut;
import org.junit.jupiter.api.Test;

import java.util.List;

/**
 * Named endpoints through a real Moquette: fan-out to three real HTTP servers, each with its own rules, method,
 * path, headers and body template. Moquette 0.17 speaks MQTT 3 only: no properties.
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
}
