package io.mqttwebhook.bench;

import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.HttpClientKind;
import io.mqttwebhook.config.TlsSettings;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.rule.Rule;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.util.Locale;
import java.util.concurrent.locks.LockSupport;

/**
 * The delivery ceiling of the core alone, without a broker: events offered to a webhook posting to
 * {@code url} as fast as possible, or at a fixed rate, timed until every one is delivered, several rounds so
 * that the JIT has warmed up. Prints events/s, CPU microseconds per event and drops for each round, then the
 * CPU per event of each thread group.
 * Usage: {@code CoreDelivery <url> <events per round> <batch.max_events> [rounds] [http.client] [pipelining]
 * [events/s, 0 for as fast as possible]}.
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

    /** The TLS settings of {@code ssl.verify = false}, read as a user's file would be. */
    private static TlsSettings unverified(final URI url) {
        final String text = "webhook { url = \"" + url + "\", ssl.verify = false,"
                + " events = [ { event = on_message_publish } ] }";
        final TlsSettings tls = ConfigLoader.parse(text, "benchmark").config().orElseThrow()
                .endpoints().get(0).tls();
        if (tls == null) {
            throw new IllegalStateException("no TLS settings for " + url);
        }
        return tls;
    }

    public static void main(final String[] args) throws Exception {
        final URI url = URI.create(args[0]);
        final int events = Integer.parseInt(args[1]);
        final int batch = Integer.parseInt(args[2]);
        final int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 4;
        final HttpClientKind client = args.length > 4 ? HttpClientKind.valueOf(args[4].toUpperCase(Locale.ROOT))
                : EndpointConfig.DEFAULT_HTTP_CLIENT;
        final int pipelining = args.length > 5 ? Integer.parseInt(args[5]) : EndpointConfig.DEFAULT_PIPELINING;
        final long rate = args.length > 6 ? Long.parseLong(args[6]) : 0;
        final com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        final byte[] payload = EndToEnd.PAYLOAD;
        // https: the benchmark's nginx has a throw-away certificate; TLS costs the same with or without the check
        final TlsSettings tls = "https".equals(url.getScheme()) ? unverified(url) : null;
        try (Webhook webhook = Webhook.start(WebhookConfig.of(EndpointConfig.builder(url).tls(tls)
                .rule(new Rule(EventType.MESSAGE_PUBLISH, null))
                .batchMaxEvents(batch).httpClient(client).pipelining(pipelining)
                .queueCapacity(Math.max(events, 100_000)).build()))) {
            System.out.println("| round | events/s | CPU us/event | requests | dropped |");
            System.out.println("|---|---|---|---|---|");
            for (int round = 1; round <= rounds; round++) {
                final long delivered = webhook.metrics().deliveredCount();
                final long requests = webhook.metrics().requestsSent();
                final long cpu = os.getProcessCpuTime();
                final long start = System.nanoTime();
                final long dropped = webhook.metrics().droppedTotal();
                for (int i = 0; i < events; i++) {
                    if (rate > 0) {
                        // a fixed rate: the events due by now, then a short pause, as paced publishers send
                        while (i >= (System.nanoTime() - start) * rate / 1_000_000_000L) {
                            LockSupport.parkNanos(200_000);
                        }
                    }
                    webhook.publish(new PublishEvent("client-" + (i & 7), "user", "bench/" + (i % 100), 1, false,
                            payload.clone(), System.currentTimeMillis()));
                }
                while (webhook.metrics().deliveredCount() - delivered
                        + webhook.metrics().droppedTotal() - dropped < events) {
                    if (webhook.metrics().failedCount() > 0) {
                        throw new IllegalStateException("events failed: " + webhook.metrics().snapshot());
                    }
                    Thread.sleep(2);
                }
                final double seconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "| %d | %.0f | %.1f | %d | %d |%n", round,
                        (webhook.metrics().deliveredCount() - delivered) / seconds,
                        (os.getProcessCpuTime() - cpu) / 1000.0 / events, webhook.metrics().requestsSent() - requests,
                        webhook.metrics().droppedTotal() - dropped);
            }
            printThreadCpu(rounds * (long) events);
        }
    }
}
