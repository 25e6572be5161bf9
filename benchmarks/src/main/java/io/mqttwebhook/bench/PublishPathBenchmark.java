package io.mqttwebhook.bench;

import io.mqttwebhook.config.QueueOverflow;
import io.mqttwebhook.delivery.MemoryEventQueue;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.metrics.WebhookMetrics;
import io.mqttwebhook.rule.Rule;
import io.mqttwebhook.rule.Router;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What a broker thread does per PUBLISH when a rule matches: match the topic, copy the payload out of the
 * broker's read-only buffer, build the event and offer it to the bounded queue, while another thread
 * drains the queue as the dispatcher does.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PublishPathBenchmark {

    @Param({"100", "16384"})
    public int payloadBytes;

    private ByteBuffer payload;
    private Router rules;
    private io.mqttwebhook.metrics.EndpointMetrics metrics;
    private MemoryEventQueue queue;
    private Thread drainer;
    private volatile boolean draining;

    @Setup(Level.Trial)
    public void setUp() {
        payload = ByteBuffer.wrap(new byte[payloadBytes]).asReadOnlyBuffer();
        rules = new Router(List.of(List.of(new Rule(EventType.MESSAGE_PUBLISH, "sensors/+/temp"))));
        metrics = new WebhookMetrics().endpoint("bench");
        queue = new MemoryEventQueue(100_000, QueueOverflow.DROP_OLDEST, metrics);
        draining = true;
        drainer = new Thread(() -> {
            while (draining) {
                try {
                    queue.poll(64, TimeUnit.MILLISECONDS.toNanos(10), 0);
                } catch (final InterruptedException e) {
                    return;
                }
            }
        }, "drainer");
        drainer.setDaemon(true);
        drainer.start();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        draining = false;
        drainer.join();
    }

    @Benchmark
    public boolean buildAndOffer() {
        final String topic = "sensors/42/temp";
        if (rules.match(EventType.MESSAGE_PUBLISH, topic) == 0) {
            return false;
        }
        final byte[] bytes = new byte[payload.remaining()];
        payload.duplicate().get(bytes);
        metrics.matched(); // as Endpoint.offer counts the copy
        queue.offer(new PublishEvent("client-42", "alice", topic, 1, false, bytes, System.currentTimeMillis()));
        return true;
    }
}
