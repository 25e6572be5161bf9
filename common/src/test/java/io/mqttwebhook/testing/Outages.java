package io.mqttwebhook.testing;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The outage scenario both brokers are tested with: four endpoints, each its own real HTTP server that is
 * down from the start. Two (a memory and a disk queue, {@code retry.max_attempts = 3}) come back after 15 s;
 * two (the same, every delivery key at its default) after 3 minutes, longer than the defaults' retries last
 * (10 attempts backing off to 30 s, about a minute). Every acknowledged publish must reach all four.
 */
public final class Outages implements AutoCloseable {

    public static final Duration SHORT = Duration.ofSeconds(15);
    public static final Duration LONG = Duration.ofMinutes(3);
    public static final List<String> ENDPOINTS = List.of("mem15", "disk15", "mem180", "disk180");
    private static final Pattern PAYLOAD = Pattern.compile("\"payload\":\"([^\"]*)\"");

    private final TestReceiver[] receivers = new TestReceiver[ENDPOINTS.size()];
    @SuppressWarnings("unchecked")
    private final Set<String>[] payloads = new Set[ENDPOINTS.size()];

    public Outages() throws Exception {
        for (int i = 0; i < receivers.length; i++) {
            final Set<String> received = ConcurrentHashMap.newKeySet();
            payloads[i] = received;
            receivers[i] = TestReceiver.startDown();
            receivers[i].replyWith(r -> {
                final Matcher m = PAYLOAD.matcher(r.body());
                while (m.find()) {
                    received.add(m.group(1));
                }
                return TestReceiver.Reply.status(200);
            });
        }
    }

    /** The webhook configuration: publishes of {@code topic} go to all four endpoints. */
    public String configuration(final Path queues, final String topic) {
        final StringBuilder conf = new StringBuilder("webhook {\n  shutdown.drain_timeout = 1s\n  endpoints {\n");
        for (int i = 0; i < receivers.length; i++) {
            final String name = ENDPOINTS.get(i);
            conf.append("    ").append(name).append(" {\n      url = \"").append(receivers[i].url("/")).append("\"\n")
                    .append("      events = [ { event = on_message_publish, topic = \"").append(topic).append("\" } ]\n");
            if (name.startsWith("disk")) {
                conf.append("      queue { type = disk, dir = \"").append(queues.resolve(name)).append("\" }\n");
            }
            if (name.endsWith("15")) {
                conf.append("      retry.max_attempts = 3\n");
            }
            conf.append("    }\n");
        }
        return conf.append("  }\n}\n").toString();
    }

    /**
     * Runs the outages after {@code count} acknowledged publishes: waits (the outage is the scenario) while
     * checking that nothing is given up meanwhile, brings each endpoint back, and checks that each received
     * every payload. {@code dropped} gives an endpoint's dropped count by name.
     */
    public void endAndCheck(final int count, final java.util.function.ToLongFunction<String> dropped) {
        final long start = System.nanoTime();
        for (final Duration outage : List.of(SHORT, LONG)) {
            final long left = outage.toNanos() - (System.nanoTime() - start);
            // all four stay down for the whole outage: nothing may be given up meanwhile
            await().pollDelay(Duration.ofNanos(Math.max(0, left))).atMost(Duration.ofNanos(Math.max(0, left))
                    .plusSeconds(30)).untilAsserted(() -> ENDPOINTS.forEach(name ->
                    assertThat(dropped.applyAsLong(name)).as("dropped by " + name).isZero()));
            for (int i = 0; i < receivers.length; i++) {
                if (ENDPOINTS.get(i).endsWith(outage == SHORT ? "15" : "180")) {
                    assertThat(payloads[i]).as(ENDPOINTS.get(i) + " received nothing while down").isEmpty();
                    receivers[i].up();
                }
            }
            for (int i = 0; i < receivers.length; i++) {
                if (ENDPOINTS.get(i).endsWith(outage == SHORT ? "15" : "180")) {
                    final Set<String> received = payloads[i];
                    await().atMost(Duration.ofSeconds(60)).until(() -> received.size() == count);
                }
            }
        }
        ENDPOINTS.forEach(name -> assertThat(dropped.applyAsLong(name)).as("dropped by " + name).isZero());
    }

    /** The payload of the {@code n}-th publish. */
    public static String payload(final int n) {
        return "m" + n;
    }

    @Override
    public void close() {
        for (final TestReceiver receiver : receivers) {
            receiver.close();
        }
    }
}
