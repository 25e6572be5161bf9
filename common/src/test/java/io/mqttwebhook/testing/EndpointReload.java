package io.mqttwebhook.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The endpoint reload scenario both brokers run while a client publishes without pause: the file starts with
 * endpoints {@code a} and {@code b}; the edit changes {@code a} (a new header), removes {@code b} and adds
 * {@code c}. {@code a} must get every publish exactly once; {@code b} everything up to its removal, without a
 * gap (it drains); {@code c} everything from its addition on, without a gap.
 */
public final class EndpointReload implements AutoCloseable {

    private static final Pattern PAYLOAD = Pattern.compile("\"payload\":\"(\\d+)\"");

    public final TestReceiver a;
    public final TestReceiver b;
    public final TestReceiver c;
    private final Set<Integer> atA = ConcurrentHashMap.newKeySet();
    private final Set<Integer> atB = ConcurrentHashMap.newKeySet();
    private final Set<Integer> atC = ConcurrentHashMap.newKeySet();
    private final AtomicInteger duplicatesAtA = new AtomicInteger();

    public EndpointReload() throws Exception {
        a = recording(atA, duplicatesAtA);
        b = recording(atB, new AtomicInteger());
        c = recording(atC, new AtomicInteger());
    }

    private static TestReceiver recording(final Set<Integer> payloads, final AtomicInteger duplicates) throws Exception {
        final TestReceiver receiver = TestReceiver.start();
        receiver.replyWith(r -> {
            final Matcher m = PAYLOAD.matcher(r.body());
            if (m.find() && !payloads.add(Integer.parseInt(m.group(1)))) {
                duplicates.incrementAndGet();
            }
            return TestReceiver.Reply.status(204);
        });
        return receiver;
    }

    private static String endpoint(final String name, final TestReceiver receiver, final String extra) {
        return "    " + name + " {\n      url = \"" + receiver.url("/" + name) + "\"\n" + extra
                + "      events = [ { event = on_message_publish, topic = \"r/#\" } ]\n    }\n";
    }

    public String before() {
        return "webhook {\n  reload.interval = 200ms\n  endpoints {\n" + endpoint("a", a, "") + endpoint("b", b, "")
                + "  }\n}\n";
    }

    public String after() {
        return "webhook {\n  reload.interval = 200ms\n  endpoints {\n"
                + endpoint("a", a, "      headers.x-version = \"2\"\n") + endpoint("c", c, "") + "  }\n}\n";
    }

    /**
     * Runs it: {@code publish} sends the acknowledged publish number n on {@code r/t}; {@code reloads} counts
     * the reloads applied; {@code conf} is the file the webhook watches.
     */
    public void run(final Path conf, final IntConsumer publish, final LongSupplier reloads) throws Exception {
        final AtomicBoolean publishing = new AtomicBoolean(true);
        final AtomicInteger published = new AtomicInteger();
        final Thread publisher = new Thread(() -> {
            while (publishing.get()) {
                publish.accept(published.get());
                published.incrementAndGet();
            }
        }, "test-publisher");
        publisher.start();
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> atA.size() >= 100 && atB.size() >= 100);
            final long before = reloads.getAsLong();
            Files.writeString(conf, after());
            await().atMost(Duration.ofSeconds(20)).until(() -> reloads.getAsLong() > before && atC.size() >= 100);
        } finally {
            publishing.set(false);
            publisher.join();
        }
        final int total = published.get();
        await().atMost(Duration.ofSeconds(20)).until(() -> atA.size() == total);
        assertThat(duplicatesAtA.get()).as("duplicates at a").isZero();
        assertThat(contiguous(atB)).as("b got everything up to its removal").isTrue();
        assertThat(contiguous(atC)).as("c got everything from its addition").isTrue();
        assertThat(new TreeSet<>(atC).last()).isEqualTo(total - 1);
        assertThat(new TreeSet<>(atB).first()).isZero();
        assertThat(a.requests().get(a.count() - 1).header("x-version")).isEqualTo("2");
        assertThat(b.count()).isLessThan(total);
    }

    /** Whether the numbers form one run without a gap. */
    private static boolean contiguous(final Set<Integer> numbers) {
        final TreeSet<Integer> sorted = new TreeSet<>(numbers);
        return sorted.last() - sorted.first() + 1 == sorted.size();
    }

    @Override
    public void close() {
        a.close();
        b.close();
        c.close();
    }
}
