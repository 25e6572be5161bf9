package io.mqttwebhook.bench;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Publishes at a fixed rate, as a fleet of devices does rather than as fast as the broker acknowledges:
 * {@value #CLIENTS} MQTT 3.1.1 connections fed by one thread that keeps to the schedule (it catches up in
 * bursts when it falls behind, and reports the rate it achieved). With QoS 0 nothing pushes back on the
 * publisher: what the plugin cannot deliver piles up in its queue. With QoS 1 each message's round trip
 * (publish to PUBACK) is recorded for the latency percentiles.
 */
final class PacedPublisher {

    static final int CLIENTS = 10;

    /** What one paced run did. */
    static final class Run {
        long published;
        double seconds;
        double achievedRate;
        double p50Micros = -1;
        double p99Micros = -1;
        double generatorCpuSeconds;
        long failed;

        String rate() {
            return String.format(Locale.ROOT, "%.0f", achievedRate);
        }
    }

    private PacedPublisher() {
    }

    static Run publish(final int port, final int rate, final long count, final MqttQos qos, final String prefix)
            throws InterruptedException {
        final long cpuBefore = cpuNanos();
        final List<Mqtt3AsyncClient> clients = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            final Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3().identifier(prefix + "-" + c)
                    .serverHost("127.0.0.1").serverPort(port).buildAsync();
            client.connect().join();
            clients.add(client);
        }
        final boolean timed = qos != MqttQos.AT_MOST_ONCE;
        final long[] nanos = timed ? new long[(int) count] : null;
        final AtomicLong acknowledged = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final byte[] payload = EndToEnd.PAYLOAD;
        final long start = System.nanoTime();
        long published = 0;
        while (published < count) {
            final long due = Math.min(count, (System.nanoTime() - start) * rate / 1_000_000_000L + 1);
            while (published < due) {
                final int index = (int) published;
                final long sent = System.nanoTime();
                clients.get(index % CLIENTS).publishWith().topic("bench/" + (index % CLIENTS) + "/" + (index % 100))
                        .qos(qos).payload(payload).send().whenComplete((ack, error) -> {
                            if (error != null) {
                                failed.incrementAndGet();
                            } else if (nanos != null) {
                                nanos[index] = System.nanoTime() - sent;
                            }
                            acknowledged.incrementAndGet();
                        });
                published++;
            }
            LockSupport.parkNanos(200_000);
        }
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (acknowledged.get() < count && System.nanoTime() < deadline) {
            LockSupport.parkNanos(1_000_000);
        }
        final Run run = new Run();
        run.seconds = (System.nanoTime() - start) / 1e9;
        run.published = count;
        run.achievedRate = count / run.seconds;
        run.failed = failed.get();
        for (final Mqtt3AsyncClient client : clients) {
            client.disconnect().join();
        }
        if (nanos != null) {
            Arrays.sort(nanos);
            run.p50Micros = nanos[nanos.length / 2] / 1000.0;
            run.p99Micros = nanos[(int) (nanos.length * 0.99)] / 1000.0;
        }
        run.generatorCpuSeconds = (cpuNanos() - cpuBefore) / 1e9;
        return run;
    }

    private static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}
