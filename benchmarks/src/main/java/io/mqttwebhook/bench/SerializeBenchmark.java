package io.mqttwebhook.bench;

import io.mqttwebhook.event.ConnackEvent;
import io.mqttwebhook.event.DisconnectedEvent;
import io.mqttwebhook.event.EventBodies;
import io.mqttwebhook.event.PayloadEncoding;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.event.WebhookEvent;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/** JSON body of each seed event in each payload encoding (publish with a 100-byte payload); plugin thread work. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SerializeBenchmark {

    @Param({"connack", "disconnected", "publish"})
    public String event;

    @Param({"plain", "base64", "base62"})
    public String encoding;

    private EventBodies bodies;
    private WebhookEvent value;

    @Setup(Level.Trial)
    public void setUp() {
        bodies = new EventBodies(PayloadEncoding.fromConfigName(encoding).orElseThrow());
        final byte[] payload = new byte[100];
        for (int i = 0; i < payload.length; i++) {
            payload[i] = (byte) ('a' + i % 26);
        }
        switch (event) {
            case "connack":
                value = new ConnackEvent("client-42", "alice", 4, 60, "success");
                break;
            case "disconnected":
                value = new DisconnectedEvent("client-42", "alice", "normal");
                break;
            default:
                value = new PublishEvent("client-42", "alice", "sensors/42/temp", 1, false, payload, 1_700_000_000_000L);
                break;
        }
    }

    @Benchmark
    public byte[] serialize() {
        return bodies.single(value);
    }
}
