package io.mqttwebhook.hivemq;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.datatypes.Mqtt5UserProperties;
import com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PayloadFormatIndicator;
import io.mqttwebhook.testing.EndpointReload;
import io.mqttwebhook.testing.FanOut;
import io.mqttwebhook.testing.Isolation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * Named endpoints through a real HiveMQ: fan-out to three real HTTP servers, each with its own rules, method,
 * path, headers and body template, and MQTT 5 properties with repeated user-property keys; one endpoint
 * hanging or down does not slow another or the broker; a reload adds, changes and removes endpoints while
 * traffic flows, losing nothing.
 */
class HiveMqEndpointsIT {

    @Test
    void fanOutTemplatesAndMqtt5Properties(@TempDir final Path dir) throws Exception {
        try (FanOut fanOut = new FanOut(); HiveMqBroker broker = new HiveMqBroker(dir, fanOut.configuration(true))) {
            final Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier("fan")
                    .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
            client.connect();
            FanOut.drive(new FanOut.Client() {
                @Override
                public void publish(final String topic, final byte[] payload, final boolean withProperties) {
                    if (withProperties) {
                        client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload)
                                .userProperties(Mqtt5UserProperties.builder().add("k", "1").add("k", "2").add("x", "y").build())
                                .contentType("application/json").responseTopic("replies/1")
                                .correlationData(ByteBuffer.wrap(FanOut.CORRELATION)).messageExpiryInterval(60)
                                .payloadFormatIndicator(Mqtt5PayloadFormatIndicator.UTF_8).send();
                    } else {
                        client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
                    }
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
            fanOut.expectAll("fan", true);
        }
    }

    @Test
    void aHangingOrDownEndpointSlowsNeitherAnotherEndpointNorTheBroker(@TempDir final Path dir) throws Exception {
        try (Isolation isolation = new Isolation(); HiveMqBroker broker = new HiveMqBroker(dir, isolation.configuration())) {
            final Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier("iso")
                    .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
            client.connect();
            final byte[] payload = new byte[100];
            isolation.check(300, topic -> {
                final long start = System.nanoTime();
                client.publishWith().topic(topic).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
                return System.nanoTime() - start;
            }, () -> HiveMqMetrics.dropped("other"));
            client.disconnect();
        }
    }

    @Test
    void endpointsAreAddedChangedAndRemovedByAReloadWhileTrafficFlows(@TempDir final Path dir) throws Exception {
        try (EndpointReload reload = new EndpointReload(); HiveMqBroker broker = new HiveMqBroker(dir, reload.before())) {
            final Mqtt5BlockingClient client = MqttClient.builder().useMqttVersion5().identifier("reload")
                    .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
            client.connect();
            reload.run(dir.resolve("extensions/mqtt-webhook/conf/webhook.conf"),
                    n -> client.publishWith().topic("r/t").qos(MqttQos.AT_LEAST_ONCE)
                            .payload(Integer.toString(n).getBytes(java.nio.charset.StandardCharsets.UTF_8)).send(),
                    () -> HiveMqMetrics.value("io.mqttwebhook.reload.applied"));
            client.disconnect();
        }
    }
}
