package io.mqttwebhook.bench;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.Socket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A broker JVM seen from outside: CPU time of the process and of each thread from {@code /proc}, heap through
 * JMX (attached to its pid; sampled every 50 ms for the peak of a run), and the plugin's counters through JMX
 * (HiveMQ publishes its metric registry, into which the plugin mirrors its own, as {@code metrics:name=...};
 * on Moquette the plugin registers {@code io.mqttwebhook:type=Webhook}).
 */
final class BrokerProbe implements AutoCloseable {

    /** The plugin's drop causes, as metric name suffixes. */
    static final List<String> DROP_CAUSES = List.of("queue_full", "retries_exhausted", "shutdown", "removed",
            "disk_error");

    private final Process process;
    private final JMXConnector connector;
    private final MBeanServerConnection server;
    private final MemoryMXBean memory;
    private final Thread sampler;
    private final Map<String, ObjectName> names = new HashMap<>();
    private volatile long peakHeap;
    private long cpuTicksAtStart;
    private Map<String, long[]> threadTicksAtStart = Map.of();

    private BrokerProbe(final Process process, final JMXConnector connector) throws IOException {
        this.process = process;
        this.connector = connector;
        this.server = connector.getMBeanServerConnection();
        this.memory = ManagementFactory.newPlatformMXBeanProxy(server, ManagementFactory.MEMORY_MXBEAN_NAME,
                MemoryMXBean.class);
        this.sampler = new Thread(this::sample, "heap-sampler");
        sampler.setDaemon(true);
        sampler.start();
    }

    static BrokerProbe attach(final Process process, final int mqttPort) throws Exception {
        awaitPort(mqttPort);
        final com.sun.tools.attach.VirtualMachine vm = com.sun.tools.attach.VirtualMachine.attach(Long.toString(process.pid()));
        try {
            final String address = vm.startLocalManagementAgent();
            return new BrokerProbe(process, JMXConnectorFactory.connect(new JMXServiceURL(address)));
        } finally {
            vm.detach();
        }
    }

    static void awaitPort(final int port) throws InterruptedException {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            try (Socket ignored = new Socket("127.0.0.1", port)) {
                return;
            } catch (final IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("nothing listens on " + port);
    }

    private void sample() {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                peakHeap = Math.max(peakHeap, memory.getHeapMemoryUsage().getUsed());
                Thread.sleep(50);
            } catch (final InterruptedException e) {
                return;
            } catch (final RuntimeException closed) {
                return;
            }
        }
    }

    /** What the probe saw during one measured window. */
    static final class Window {
        double cpuSeconds;
        long peakHeapMb;
        /** CPU seconds by thread group (thread names without their numbers): user + system, and system. */
        Map<String, double[]> threads = Map.of();

        /** The busiest thread groups, in µs per event, with the part spent in the kernel. */
        String threadsPerEvent(final long events) {
            if (events <= 0) {
                return "-";
            }
            return threads.entrySet().stream()
                    .sorted((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0])).limit(8)
                    .map(e -> String.format(Locale.ROOT, "%s %.1f (sys %.1f)", e.getKey(),
                            e.getValue()[0] * 1e6 / events, e.getValue()[1] * 1e6 / events))
                    .collect(Collectors.joining(", "));
        }
    }

    void start() throws IOException {
        cpuTicksAtStart = cpuTicks();
        threadTicksAtStart = threadTicks();
        peakHeap = 0;
    }

    Window end() throws IOException {
        final Window window = new Window();
        window.cpuSeconds = (cpuTicks() - cpuTicksAtStart) / 100.0;
        window.peakHeapMb = peakHeap / 1048576;
        final Map<String, double[]> threads = new TreeMap<>();
        threadTicks().forEach((group, ticks) -> {
            final long[] before = threadTicksAtStart.getOrDefault(group, new long[2]);
            final long total = ticks[0] + ticks[1] - before[0] - before[1];
            if (total > 0) {
                threads.put(group, new double[]{total / 100.0, (ticks[1] - before[1]) / 100.0});
            }
        });
        window.threads = threads;
        return window;
    }

    /** Heap in use right after a full collection: what is live. */
    long heapAfterGc() {
        memory.gc();
        memory.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }

    /**
     * A counter of the plugin's endpoint {@code default} ({@code delivered}, {@code dropped.queue_full}...),
     * or -1 when the broker does not show it.
     */
    long counter(final String metric) {
        final String full = "io.mqttwebhook.endpoint.default." + metric;
        try {
            ObjectName name = names.get(full);
            if (name == null) {
                for (final ObjectName candidate : server.queryNames(null, null)) {
                    if (full.equals(candidate.getKeyProperty("name"))) {
                        name = candidate;
                    }
                }
                if (name != null) {
                    names.put(full, name);
                }
            }
            if (name != null) {
                return ((Number) server.getAttribute(name, "Count")).longValue();
            }
            for (final ObjectName bean : server.queryNames(new ObjectName("io.mqttwebhook:type=Webhook,*"), null)) {
                return ((Number) server.getAttribute(bean, full.replace('.', '_'))).longValue();
            }
        } catch (final Exception absent) {
            return -1;
        }
        return -1;
    }

    /** Every event the plugin counted dropped, all causes; -1 when the broker does not show its counters. */
    long dropped() {
        long total = 0;
        for (final String cause : DROP_CAUSES) {
            final long count = counter("dropped." + cause);
            if (count < 0) {
                return -1;
            }
            total += count;
        }
        return total;
    }

    /** utime + stime of the broker process, in clock ticks (1/100 s). */
    private long cpuTicks() throws IOException {
        return ticks(Paths.get("/proc/" + process.pid() + "/stat"));
    }

    private static long ticks(final Path stat) throws IOException {
        final long[] split = userAndSystem(stat);
        return split[0] + split[1];
    }

    /** utime and stime from a {@code stat} file, in clock ticks. */
    private static long[] userAndSystem(final Path stat) throws IOException {
        final String text = Files.readString(stat);
        final String[] fields = text.substring(text.lastIndexOf(')') + 2).split(" ");
        return new long[]{Long.parseLong(fields[11]), Long.parseLong(fields[12])};
    }

    /** CPU ticks of the broker's threads, summed by name without digits (a pool's threads together). */
    private Map<String, long[]> threadTicks() {
        final Map<String, long[]> byGroup = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Paths.get("/proc/" + process.pid() + "/task"))) {
            for (final Path task : tasks) {
                try {
                    final String name = Files.readString(task.resolve("comm")).trim();
                    final long[] split = userAndSystem(task.resolve("stat"));
                    byGroup.merge(group(name), split, (a, b) -> new long[]{a[0] + b[0], a[1] + b[1]});
                } catch (final IOException | RuntimeException ended) {
                    // the thread ended meanwhile
                }
            }
        } catch (final IOException e) {
            return Map.of();
        }
        return byGroup;
    }

    /** Linux keeps 15 characters of a thread name; digits and separators at the end number pool members. */
    static String group(final String name) {
        final String base = name.replaceAll("[-#_ ]?\\d+$", "").replaceAll("[-#_ ]?\\d+$", "");
        if (base.startsWith("C2 CompilerThre") || base.startsWith("C1 CompilerThre")) {
            return base.substring(0, 2) + " compiler";
        }
        if (base.startsWith("G1 ") || base.startsWith("GC Thread") || base.equals("VM Thread")) {
            return "GC/VM";
        }
        return base;
    }

    @Override
    public void close() throws IOException {
        sampler.interrupt();
        connector.close();
    }
}
