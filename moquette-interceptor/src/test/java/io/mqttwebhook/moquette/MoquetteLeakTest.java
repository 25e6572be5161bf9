package io.mqttwebhook.moquette;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.testing.TestReceiver;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static io.mqttwebhook.moquette.MoquetteBroker.jmx;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Netty's leak detector at paranoid level (surefire sets it, and gives this class its own JVM) while
 * Moquette hands the handler payload buffers: matched and unmatched publishes, every encoding path.
 * A handler that failed to release its duplicate would be reported when the buffers are collected.
 */
class MoquetteLeakTest {

    private static final AtomicInteger LEAKS = new AtomicInteger();

    static {
        // before any Netty buffer class loads in this JVM: count what the detector reports
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ResourceLeakDetectorFactory() {
            @Override
            @SuppressWarnings("deprecation")
            public <T> ResourceLeakDetector<T> newResourceLeakDetector(final Class<T> resource, final int samplingInterval,
                                                                       final long maxActive) {
                return new ResourceLeakDetector<T>(resource, samplingInterval, maxActive) {
                    @Override
                    protected void reportTracedLeak(final String resourceType, final String records) {
                        LEAKS.incrementAndGet();
                        super.reportTracedLeak(resourceType, records);
                    }

                    @Override
                    protected void reportUntracedLeak(final String resourceType) {
                        LEAKS.incrementAndGet();
                        super.reportUntracedLeak(resourceType);
                    }
                };
            }
        });
    }

    @Test
    void everyPayloadBufferIsReleased() throws Exception {
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
        try (TestReceiver receiver = TestReceiver.start()) {
            final WebhookInterceptHandler handler = new WebhookInterceptHandler(ConfigLoader.parse("webhook {\n url = \""
                    + receiver.url("/") + "\"\n events = [ { event = on_message_publish, topic = \"hit/#\" } ]\n}\n", "t")
                    .config().orElseThrow());
            try (MoquetteBroker broker = new MoquetteBroker(List.of(handler), null)) {
                final Mqtt3BlockingClient client = MqttClient.builder().useMqttVersion3().identifier("leak")
                        .serverHost("127.0.0.1").serverPort(broker.port()).buildBlocking();
                client.connect();
                for (int i = 0; i < 500; i++) {
                    client.publishWith().topic(i % 2 == 0 ? "hit/" + i : "miss/" + i).qos(MqttQos.fromCode(i % 3))
                            .payload(new byte[i % 50]).send();
                }
                client.disconnect();
                await().until(() -> handler.jmx() != null
                        && jmx(handler, "endpoint_default_delivered") == 250);
            }
            handler.close();
        }
        // leaks are found when leaked buffers have been collected, their references enqueued, and the detector
        // tracks a new buffer: wait, several times over, until a reference of our own has gone through the same
        for (int gc = 0; gc < 5; gc++) {
            final java.lang.ref.ReferenceQueue<Object> enqueued = new java.lang.ref.ReferenceQueue<>();
            final java.lang.ref.PhantomReference<Object> marker =
                    new java.lang.ref.PhantomReference<>(new Object(), enqueued);
            java.lang.ref.Reference<?> done = null;
            for (int attempt = 0; done == null && attempt < 100; attempt++) {
                System.gc();
                done = enqueued.remove(100);
            }
            assertThat(done).as("a collection ran and its references were enqueued").isSameAs(marker);
            final ByteBuf probe = PooledByteBufAllocator.DEFAULT.buffer(16);
            probe.release();
        }
        assertThat(LEAKS.get()).as("leaks reported by Netty's detector").isZero();
    }
}
