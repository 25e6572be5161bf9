package io.mqttwebhook.bench;

import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.rule.Rule;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.Locale;

/**
 * The delivery ceiling of the core alone, without a broker: events offered as fast as possible to a
 * webhook posting to {@code url}, timed until every one is delivered, several rounds so that the JIT has
 * warmed up. Prints events/s and CPU microseconds per event for each round.
 * Usage: {@code CoreDelivery <url> <events per round> <batch.max_events> [rounds]}.
 */
public final class CoreDelivery {

    private CoreDelivery() {
    }

    /** CPU microseconds per event of each thread group, so that a profile can say where the time goes. */
    private static void printThreadCpu(final long events) {
        final java.lang.management.ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final java.util.Map<String, Long> byName = new java.util.TreeMap<>();
        for (final java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info != null) {
                final long cpu = threads.getThreadCpuTime(info.getThreadId());
                byName.merge(info.getThreadName().replaceAll("-?\\d+$", ""), Math.max(0, cpu), Long::sum);
            }
        }
        final StringBuilder line = new StringBuilder("CPU us/event by thread:");
        byName.forEach((name, nanos) -> line.append(String.format(Locale.ROOT, " %s=%.1f", name, nanos / 1000.0 / events)));
        System.out.println(line);
    }

    public static void main(final String[] args) throws Exception {
        final URI url = URI.create(args[0]);
        final int events = Integer.parseInt(args[1]);
        final int batch = Integer.parseInt(args[2]);
        final int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        final com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        final byte[] payload = EndToEnd.PAYLOAD;
        try (Webhook webhook = Webhook.start(WebhookConfig.of(EndpointConfig.builder(url)
                .rule(new Rule(EventType.MESSAGE_PUBLISH, null))
                .batchMaxEvents(batch).queueCapacity(Math.max(events, 100_000)).build()))) {
            System.out.println("| round | events/s | CPU us/event | requests |");
            System.out.println("|---|---|---|---|");
            for (int round = 1; round <= rounds; round++) {
                final long delivered = webhook.metrics().deliveredCount();
                final long requests = webhook.metrics().requestsSent();
                final long cpu = os.getProcessCpuTime();
                final long start = System.nanoTime();
                for (int i = 0; i < events; i++) {
                    webhook.publish(new PublishEvent("client-" + (i & 7), "user", "bench/" + (i % 100), 1, false,
                            payload.clone(), System.currentTimeMillis()));
                }
                while (webhook.metrics().deliveredCount() - delivered < events) {
                    if (webhook.metrics().droppedTotal() + webhook.metrics().failedCount() > 0) {
                        throw new IllegalStateException("events lost: " + webhook.metrics().snapshot());
                    }
                    Thread.sleep(2);
                }
                final double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "| %d | %.0f | %.0f | %d |%n", round, events / seconds,
                        (os.getProcessCpuTime() - cpu) / 1000.0 / events, webhook.metrics().requestsSent() - requests);
            }
            printThreadCpu(rounds * (long) events);
        }
    }
}
