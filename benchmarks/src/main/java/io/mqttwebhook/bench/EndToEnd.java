package io.mqttwebhook.bench;

import com.hivemq.client.mqtt.MqttClient;
import com.hivemq.client.mqtt.datatypes.MqttQos;
import com.hivemq.client.mqtt.mqtt3.Mqtt3AsyncClient;
import com.hivemq.client.mqtt.mqtt3.Mqtt3BlockingClient;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * End-to-end runs: for each broker, two JVMs side by side, one with the plugin loaded as users load it
 * (HiveMQ: the packaged extension folder; Moquette: Moquette's lib/ plus the plugin jar and
 * {@code intercept.handler}) and one without; nginx as the endpoint ({@link NginxEndpoint}); QoS 1
 * publishers here. Both brokers are warmed up, then each scenario measures the broker without the plugin
 * right before the one with it. Prints the scenario table and the memory table.
 * Run by {@code benchmarks/run-e2e.sh}; options {@code --messages=N --warm-up=N --brokers=hivemq,moquette
 * --plugin-jvm-args="..."}, or {@code --soak-minutes=N [--rate=msg/s] [--brokers=hivemq|moquette]} for the
 * soak, which stops and starts the same nginx every minute.
 */
public final class EndToEnd {

    private static final Pattern STOPPED = Pattern.compile(
            "mqtt-webhook stopped: matched=(\\d+) delivered=(\\d+) failed=(\\d+) dropped=(\\d+)");

    /** 100 bytes of sensor-like JSON, as a device would publish. */
    static final byte[] PAYLOAD = String.format(Locale.ROOT, "{\"device\":\"bench\",\"temperature\":21.5,\"humidity\":40,\"status\":\"ok\",\"seq\":%28d}", 0)
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static final Pattern STARTED = Pattern.compile("mqtt-webhook started: .* \\(from (.+)\\)");

    private final Map<String, String> options = new LinkedHashMap<>();
    private final int messages;

    private EndToEnd(final String[] args) {
        for (final String arg : args) {
            final int eq = arg.indexOf('=');
            options.put(arg.substring(2, eq), arg.substring(eq + 1));
        }
        // below queue.capacity (100 000): a slow or absent endpoint must not overflow the queue within one scenario
        messages = Integer.parseInt(options.getOrDefault("messages", "80000"));
    }

    /** One configuration of the plugin and the endpoint, applied to the running broker by live reload. */
    private static final class Scenario {
        final String name;
        final String webhook; // extra webhook keys, the events list included
        final boolean slow;
        final int endpointDownSeconds;

        Scenario(final String name, final String webhook, final boolean slow, final int endpointDownSeconds) {
            this.name = name;
            this.webhook = webhook;
            this.slow = slow;
            this.endpointDownSeconds = endpointDownSeconds;
        }

        boolean hooksPublishes() {
            return webhook.contains(PUBLISH_RULE);
        }
    }

    private static final String PUBLISH_RULE = "events = [ { event = on_message_publish } ]\n";

    private static final List<Scenario> SCENARIOS = List.of(
            new Scenario("loaded, no rule for publishes", "events = [ { event = on_client_connack } ]\n", false, 0),
            new Scenario("healthy, batch 1, pool 32", PUBLISH_RULE, false, 0),
            new Scenario("healthy, batch 100", "batch { max_events = 100, max_delay = 10ms }\n" + PUBLISH_RULE, false, 0),
            new Scenario("healthy, batch 1, pool 8", "pool_size = 8\n" + PUBLISH_RULE, false, 0),
            new Scenario("slow endpoint (50 ms), pool 32", PUBLISH_RULE, true, 0),
            new Scenario("endpoint down 10 s, pool 32", PUBLISH_RULE, false, 10));

    public static void main(final String[] args) throws Exception {
        final EndToEnd run = new EndToEnd(args);
        if (run.options.containsKey("soak-minutes")) {
            run.soak(Integer.parseInt(run.options.get("soak-minutes")));
        } else {
            run.run();
        }
    }

    /**
     * The soak: HiveMQ with the plugin under a steady QoS 1 load ({@code --rate}, default 1000 msg/s) for the
     * given minutes, the endpoint down for 10 s of every minute. Prints the broker's threads and resident
     * memory every 10 s, then what was published, received and counted lost.
     */
    private void soak(final int minutes) throws Exception {
        final int rate = Integer.parseInt(options.getOrDefault("rate", "1000"));
        final Path home = Files.createTempDirectory("mqtt-webhook-soak");
        final int mqttPort = freePort();
        final int endpointPort = freePort();
        final Path webhookConf = home.resolve("webhook.conf");
        Files.writeString(webhookConf, "webhook {\n  url = \"http://127.0.0.1:" + endpointPort + "/hook\"\n"
                + "  retry.max_attempts = 100\n  events = [ { event = on_message_publish } ]\n}\n");
        final Process broker = startBroker(options.getOrDefault("brokers", "hivemq").split(",")[0], true, home, mqttPort,
                webhookConf);
        awaitPort(mqttPort);
        final Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3().identifier("soak")
                .serverHost("127.0.0.1").serverPort(mqttPort).buildAsync();
        client.connect().join();
        long published = 0;
        final long[] received = {0, 0}; // events, and where the log was read up to
        final long start = System.nanoTime();
        final long end = start + TimeUnit.MINUTES.toNanos(minutes);
        long nextSample = start;
        System.out.println("| minute:second | endpoint | published | received | broker threads | broker RSS MB |");
        System.out.println("|---|---|---|---|---|---|");
        try (NginxEndpoint endpoint = new NginxEndpoint(home.resolve("nginx"), endpointPort, false).start(nginx())) {
            while (System.nanoTime() < end) {
                final long elapsedSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
                final boolean down = elapsedSeconds % 60 >= 50;
                if (down && endpoint.running()) {
                    endpoint.close();
                } else if (!down && !endpoint.running()) {
                    endpoint.start(nginx());
                }
                final long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
                while (published < due) {
                    client.publishWith().topic("soak/" + (published % 100)).qos(MqttQos.AT_LEAST_ONCE).payload(PAYLOAD)
                            .send();
                    published++;
                }
                if (System.nanoTime() >= nextSample) {
                    nextSample += TimeUnit.SECONDS.toNanos(10);
                    readOn(endpoint, received);
                    System.out.printf(Locale.ROOT, "| %d:%02d | %s | %d | %d | %d | %d |%n", elapsedSeconds / 60,
                            elapsedSeconds % 60, down ? "down" : "up", published, received[0],
                            procStatus(broker.pid(), "Threads:"), procStatus(broker.pid(), "VmRSS:") / 1024);
                }
                Thread.sleep(5);
            }
            client.disconnect().join();
            if (!endpoint.running()) {
                endpoint.start(nginx());
            }
            final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
            while (received[0] < published && System.nanoTime() < deadline) {
                Thread.sleep(500);
                readOn(endpoint, received);
            }
        } finally {
            stop(broker);
        }
        final Matcher stopped = STOPPED.matcher(Files.readString(home.resolve("broker.log")));
        System.out.printf(Locale.ROOT, "%npublished %d, received %d (a retry after a timeout may repeat one), plugin: %s%n",
                published, received[0], stopped.find() ? stopped.group() : "no stop line");
    }

    /** Adds the events nginx logged since the last call: {@code received} holds the count and the log offset. */
    private static void readOn(final NginxEndpoint endpoint, final long[] received) throws IOException {
        final NginxEndpoint.Deliveries more = NginxEndpoint.read(endpoint.log(), received[1]);
        received[0] += more.events;
        received[1] = more.endOffset;
    }

    private static long procStatus(final long pid, final String field) throws IOException {
        for (final String line : Files.readAllLines(Paths.get("/proc/" + pid + "/status"))) {
            if (line.startsWith(field)) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return -1;
    }

    private void run() throws Exception {
        final List<String[]> rows = new ArrayList<>();
        final List<String[]> memory = new ArrayList<>();
        final List<String[]> accounts = new ArrayList<>();
        for (final String broker : options.getOrDefault("brokers", "hivemq,moquette").split(",")) {
            accounts.add(runBroker(broker, rows, memory));
        }
        printTable(new String[]{"broker", "scenario", "publish msg/s", "absent msg/s", "vs absent", "QoS1 p50 us",
                "QoS1 p99 us", "absent QoS1 p99 us", "delivered ev/s", "received / published", "delivery p50 ms",
                "delivery p99 ms", "broker CPU s", "absent CPU s", "broker peak heap MB", "load gen CPU s"}, rows);
        printTable(new String[]{"broker", "queued events (endpoint down)", "broker heap after GC MB",
                "heap per queued event B", "dropped (queue full)"}, memory);
        printTable(new String[]{"broker", "events matched (whole run)", "received by nginx", "dropped (counted)",
                "failed (counted)", "lost"}, accounts);
    }

    private int warmUpMessages() {
        return Integer.parseInt(options.getOrDefault("warm-up", Integer.toString(messages)));
    }

    /**
     * Two JVMs of the broker side by side, one without the plugin and one with it, both warmed up first.
     * For each scenario (applied to the plugin's JVM by editing webhook.conf: live reload) the broker
     * without the plugin is measured right before the one with it, so that both are as warm and the ratio
     * compares like with like. Then the memory run with the endpoint down.
     */
    private String[] runBroker(final String broker, final List<String[]> rows, final List<String[]> memory)
            throws Exception {
        final Path home = Files.createTempDirectory("mqtt-webhook-e2e");
        final Path absentHome = Files.createDirectories(home.resolve("absent"));
        final int absentPort = freePort();
        final int mqttPort = freePort();
        final int endpointPort = freePort();
        final Path webhookConf = home.resolve("webhook.conf");
        writeWebhookConf(webhookConf, endpointPort, PUBLISH_RULE);
        final Process absent = startBroker(broker, false, absentHome, absentPort, null);
        final Process process = startBroker(broker, true, home, mqttPort, webhookConf);
        final Path brokerLog = home.resolve("broker.log");
        int step = 0;
        try (BrokerProbe absentProbe = BrokerProbe.attach(absent, absentPort);
             BrokerProbe probe = BrokerProbe.attach(process, mqttPort)) {
            System.err.printf("== %s: warm-up, both brokers%n", broker);
            measurePublishing(absentPort, new Result(), warmUpMessages());
            try (NginxEndpoint endpoint = new NginxEndpoint(home.resolve("nginx-" + step++), endpointPort, false)
                    .start(nginx())) {
                final Result warm = new Result();
                final long startMillis = System.currentTimeMillis();
                measurePublishing(mqttPort, warm, warmUpMessages());
                awaitDelivery(endpoint, warm, startMillis);
            }
            // the file the plugin watches, from its start line (the HiveMQ launcher copies it into the extension)
            final Matcher started = STARTED.matcher(Files.readString(brokerLog));
            if (!started.find()) {
                throw new IllegalStateException("the plugin did not start; see " + brokerLog);
            }
            final Path liveConf = home.resolve(started.group(1));
            String applied = PUBLISH_RULE;
            for (final Scenario scenario : SCENARIOS) {
                System.err.printf("== %s: %s%n", broker, scenario.name);
                if (!scenario.webhook.equals(applied)) {
                    reload(liveConf, brokerLog, endpointPort, scenario.webhook);
                    applied = scenario.webhook;
                }
                rows.add(runScenario(broker, home.resolve("nginx-" + step++), scenario, absentPort, absentProbe, mqttPort,
                        endpointPort, probe));
                System.err.println("   " + String.join(" | ", rows.get(rows.size() - 1)));
            }
            if (!applied.equals(PUBLISH_RULE)) {
                reload(liveConf, brokerLog, endpointPort, PUBLISH_RULE);
            }
            System.err.printf("== %s: memory with the endpoint down%n", broker);
            memory.addAll(measureMemory(broker, home.resolve("nginx-" + step), mqttPort, endpointPort, probe));
        } finally {
            stop(process);
            stop(absent);
        }
        final Matcher stopped = STOPPED.matcher(Files.readString(brokerLog));
        if (!stopped.find()) {
            throw new IllegalStateException("no stop line in " + brokerLog);
        }
        System.err.printf("== %s: %s%n", broker, stopped.group());
        // every event the plugin matched in this JVM's life is delivered (once, by webhook-id), or counted
        long received = 0;
        for (int i = 0; i <= step; i++) {
            received += NginxEndpoint.read(home.resolve("nginx-" + i).resolve("hooks.log"), 0).events;
        }
        final long matched = Long.parseLong(stopped.group(1));
        final long failed = Long.parseLong(stopped.group(3));
        final long dropped = Long.parseLong(stopped.group(4));
        return new String[]{broker, Long.toString(matched), Long.toString(received), Long.toString(dropped),
                Long.toString(failed), Long.toString(matched - received - dropped - failed)};
    }

    private static void writeWebhookConf(final Path file, final int endpointPort, final String extra) throws IOException {
        Files.writeString(file, "webhook {\n  url = \"http://127.0.0.1:" + endpointPort + "/hook\"\n"
                + "  reload.interval = 500ms\n  retry.max_backoff = 5s\n" + extra + "}\n");
    }

    /** Rewrites the running broker's webhook.conf and waits for the plugin's "reloaded" line. */
    private static void reload(final Path liveConf, final Path brokerLog, final int endpointPort, final String extra)
            throws Exception {
        final int before = count(Files.readString(brokerLog), "mqtt-webhook reloaded");
        writeWebhookConf(liveConf, endpointPort, extra);
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (count(Files.readString(brokerLog), "mqtt-webhook reloaded") == before) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the plugin did not reload " + liveConf + "; see " + brokerLog);
            }
            Thread.sleep(100);
        }
    }

    private static int count(final String text, final String what) {
        int n = 0;
        for (int at = text.indexOf(what); at >= 0; at = text.indexOf(what, at + 1)) {
            n++;
        }
        return n;
    }

    /**
     * Rounds of: the broker without the plugin, then the one with it, until its events are delivered. Healthy
     * scenarios run {@code --rounds} rounds (default 3) and report the round with the median publish rate
     * against the median rate without the plugin; slow and down run one (more would overflow the queue).
     */
    private String[] runScenario(final String broker, final Path dir, final Scenario scenario, final int absentPort,
                                 final BrokerProbe absentProbe, final int mqttPort, final int endpointPort,
                                 final BrokerProbe probe) throws Exception {
        final int rounds = scenario.slow || scenario.endpointDownSeconds > 0 ? 1
                : Integer.parseInt(options.getOrDefault("rounds", "3"));
        final List<Result> absentResults = new ArrayList<>();
        final List<Result> results = new ArrayList<>();
        try (NginxEndpoint endpoint = new NginxEndpoint(dir, endpointPort, scenario.slow)) {
            if (scenario.endpointDownSeconds == 0) {
                endpoint.start(nginx());
            }
            long logOffset = 0;
            for (int round = 0; round < rounds; round++) {
                final Result baseline = new Result();
                absentProbe.startScenario();
                measurePublishing(absentPort, baseline, messages);
                absentProbe.endScenario(baseline);
                absentResults.add(baseline);

                final Result result = new Result();
                final long startMillis = System.currentTimeMillis();
                Thread later = null;
                if (scenario.endpointDownSeconds > 0) {
                    later = new Thread(() -> {
                        try {
                            Thread.sleep(scenario.endpointDownSeconds * 1000L);
                            endpoint.start(nginx());
                        } catch (final Exception e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    later.start();
                }
                probe.startScenario();
                measurePublishing(mqttPort, result, messages);
                if (later != null) {
                    later.join();
                }
                if (scenario.hooksPublishes()) {
                    awaitDelivery(endpoint, result, startMillis, logOffset);
                    logOffset = result.logEnd;
                }
                probe.endScenario(result);
                results.add(result);
            }
        }
        final Result median = median(results);
        // the median round's figures, with every round's events accounted for
        median.receivedAllRounds = results.stream().mapToLong(r -> r.received).sum();
        median.publishedAllRounds = results.stream().mapToLong(r -> r.published).sum();
        return median.row(broker, scenario.name, median(absentResults));
    }

    private static Result median(final List<Result> results) {
        final List<Result> sorted = new ArrayList<>(results);
        sorted.sort(java.util.Comparator.comparingDouble(r -> r.publishRate));
        return sorted.get(sorted.size() / 2);
    }

    /**
     * Heap after a full GC with the endpoint down: queue empty, half full, full, and after publishing half a
     * queue more (drop_oldest keeps it full); then the endpoint comes back and the queued events go out.
     */
    private List<String[]> measureMemory(final String broker, final Path dir, final int mqttPort, final int endpointPort,
                                         final BrokerProbe probe) throws Exception {
        final int capacity = io.mqttwebhook.config.EndpointConfig.DEFAULT_QUEUE_CAPACITY;
        final List<String[]> rows = new ArrayList<>();
        final long empty = probe.heapAfterGc();
        rows.add(new String[]{broker, "0", mb(empty), "-", "0"});
        final long startMillis = System.currentTimeMillis();
        for (int published = capacity / 2; published <= capacity * 3 / 2; published += capacity / 2) {
            measurePublishing(mqttPort, new Result(), capacity / 2, false);
            Thread.sleep(1000); // let the queue settle: the dispatcher holds pool_size requests in retry
            final long heap = probe.heapAfterGc();
            final int queued = Math.min(published, capacity);
            rows.add(new String[]{broker, published > capacity ? queued + " (" + published + " published)" : Integer.toString(queued),
                    mb(heap), Long.toString((heap - empty) / queued), Integer.toString(Math.max(0, published - capacity))});
        }
        try (NginxEndpoint endpoint = new NginxEndpoint(dir, endpointPort, false).start(nginx())) {
            final Result result = new Result();
            result.published = capacity;
            awaitDelivery(endpoint, result, startMillis);
            System.err.printf("== %s: after the memory run the endpoint received %d of the %d queued events%n", broker,
                    result.received, capacity);
        }
        return rows;
    }

    private static String mb(final long bytes) {
        return String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
    }

    private static void stop(final Process process) throws InterruptedException {
        process.destroy();
        process.waitFor(60, TimeUnit.SECONDS);
    }

    private String nginx() {
        return options.getOrDefault("nginx", "nginx");
    }

    /** What one run measured. */
    private static final class Result {
        double publishRate;
        double latencyP50Micros;
        double latencyP99Micros;
        long received = -1;
        double deliveredRate;
        long deliveryP50 = -1;
        long deliveryP99 = -1;
        double brokerCpuSeconds;
        long brokerPeakHeapMb;
        double generatorCpuSeconds;
        int published;
        long logEnd;
        long receivedAllRounds;
        long publishedAllRounds;

        String[] row(final String broker, final String scenario, final Result absent) {
            return new String[]{broker, scenario, String.format(Locale.ROOT, "%.0f", publishRate),
                    String.format(Locale.ROOT, "%.0f", absent.publishRate),
                    String.format(Locale.ROOT, "%.2f", publishRate / absent.publishRate),
                    String.format(Locale.ROOT, "%.0f", latencyP50Micros), String.format(Locale.ROOT, "%.0f", latencyP99Micros),
                    String.format(Locale.ROOT, "%.0f", absent.latencyP99Micros),
                    received < 0 ? "-" : String.format(Locale.ROOT, "%.0f", deliveredRate),
                    received < 0 ? "-" : receivedAllRounds + " / " + publishedAllRounds,
                    received < 0 ? "-" : Long.toString(deliveryP50), received < 0 ? "-" : Long.toString(deliveryP99),
                    String.format(Locale.ROOT, "%.1f", brokerCpuSeconds), String.format(Locale.ROOT, "%.1f", absent.brokerCpuSeconds),
                    Long.toString(brokerPeakHeapMb), String.format(Locale.ROOT, "%.1f", generatorCpuSeconds)};
        }
    }

    private void measurePublishing(final int port, final Result result, final int count) throws Exception {
        measurePublishing(port, result, count, true);
    }

    /**
     * {@code count} QoS 1 messages from 8 clients, each on its own thread with 100 in flight; then, when
     * {@code latency}, 2 000 sequential QoS 1 round trips from a ninth client.
     */
    private void measurePublishing(final int port, final Result result, final int count, final boolean latency)
            throws Exception {
        final long cpuBefore = generatorCpuNanos();
        final int clients = 8;
        final byte[] payload = PAYLOAD;
        final List<Mqtt3AsyncClient> publishers = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            final Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3().identifier("bench-" + c)
                    .serverHost("127.0.0.1").serverPort(port).buildAsync();
            client.connect().join();
            publishers.add(client);
        }
        final int perClient = count / clients;
        final List<Thread> threads = new ArrayList<>();
        final List<Throwable> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        final long start = System.nanoTime();
        for (int c = 0; c < clients; c++) {
            final Mqtt3AsyncClient client = publishers.get(c);
            final int id = c;
            final Thread thread = new Thread(() -> {
                final Semaphore inFlight = new Semaphore(100);
                for (int i = 0; i < perClient; i++) {
                    inFlight.acquireUninterruptibly();
                    client.publishWith().topic("bench/" + id + "/" + (i % 100)).qos(MqttQos.AT_LEAST_ONCE)
                            .payload(payload).send().whenComplete((ack, error) -> {
                                if (error != null) {
                                    errors.add(error);
                                }
                                inFlight.release();
                            });
                }
                inFlight.acquireUninterruptibly(100);
            }, "publisher-" + c);
            thread.start();
            threads.add(thread);
        }
        for (final Thread thread : threads) {
            thread.join();
        }
        result.publishRate = perClient * clients / ((System.nanoTime() - start) / 1e9);
        for (final Mqtt3AsyncClient client : publishers) {
            client.disconnect().join();
        }
        if (!errors.isEmpty()) {
            throw new IllegalStateException(errors.size() + " publishes failed", errors.get(0));
        }
        result.published = perClient * clients;
        if (latency) {
            final Mqtt3BlockingClient probe = MqttClient.builder().useMqttVersion3().identifier("bench-latency")
                    .serverHost("127.0.0.1").serverPort(port).buildBlocking();
            probe.connect();
            final long[] nanos = new long[2000];
            for (int i = 0; i < nanos.length; i++) {
                final long t = System.nanoTime();
                probe.publishWith().topic("bench/latency").qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
                nanos[i] = System.nanoTime() - t;
            }
            probe.disconnect();
            result.published += nanos.length;
            Arrays.sort(nanos);
            result.latencyP50Micros = nanos[nanos.length / 2] / 1000.0;
            result.latencyP99Micros = nanos[nanos.length * 99 / 100] / 1000.0;
        }
        result.generatorCpuSeconds = (generatorCpuNanos() - cpuBefore) / 1e9;
    }

    private static long generatorCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * Waits until nginx's log holds every published event (counted once by webhook-id), or nothing more
     * arrives for 30 s; records received events, delivered events/s from {@code startMillis} to the last
     * receipt, and delivery latency.
     */
    private static void awaitDelivery(final NginxEndpoint endpoint, final Result result, final long startMillis)
            throws Exception {
        awaitDelivery(endpoint, result, startMillis, 0);
    }

    /** As above, for the part of the log from byte {@code from} on (one round); records where the log ends. */
    private static void awaitDelivery(final NginxEndpoint endpoint, final Result result, final long startMillis,
                                      final long from) throws Exception {
        long handled = -1;
        long lastChange = System.nanoTime();
        NginxEndpoint.Deliveries deliveries = new NginxEndpoint.Deliveries();
        while (System.nanoTime() - lastChange < TimeUnit.SECONDS.toNanos(30)) {
            Thread.sleep(250);
            final long now = endpoint.requestsHandled();
            if (now != handled + 1) { // our own status request is one
                handled = now;
                lastChange = System.nanoTime();
                continue;
            }
            handled = now;
            if (System.nanoTime() - lastChange > TimeUnit.MILLISECONDS.toNanos(600)) {
                // quiet for longer than the log's flush interval: read it
                deliveries = NginxEndpoint.read(endpoint.log(), from);
                if (deliveries.events >= result.published) {
                    break;
                }
            }
        }
        deliveries = NginxEndpoint.read(endpoint.log(), from);
        result.logEnd = deliveries.endOffset;
        result.received = deliveries.events;
        result.deliveredRate = deliveries.events / Math.max(1e-3, (deliveries.lastReceiptMillis - startMillis) / 1e3);
        result.deliveryP50 = deliveries.p50;
        result.deliveryP99 = deliveries.p99;
        if (deliveries.duplicateRequests > 0) {
            System.err.printf("   %d request(s) received twice (a retry after a lost answer), counted once%n",
                    deliveries.duplicateRequests);
        }
    }

    private Process startBroker(final String broker, final boolean webhook, final Path home, final int port,
                                final Path webhookConf) throws IOException {
        final List<String> command = new ArrayList<>(List.of(java(), "-Xmx2g"));
        if (webhook && options.containsKey("plugin-jvm-args")) {
            // e.g. --plugin-jvm-args=-XX:StartFlightRecording=filename=/tmp/broker.jfr to profile the broker with the plugin
            command.addAll(Arrays.asList(options.get("plugin-jvm-args").split(" ")));
        }
        if (broker.equals("hivemq")) {
            command.addAll(List.of("-Dmqttwebhook.extension.folder=" + options.get("extension"),
                    "-cp", options.get("hivemq-cp"), "io.mqttwebhook.demo.HiveMqDemo", "--port=" + port,
                    webhook ? "--config=" + webhookConf : "--no-webhook"));
        } else {
            final Path config = Files.createDirectories(home.resolve("config"));
            Files.writeString(config.resolve("moquette.conf"), "host 127.0.0.1\nport " + port + "\n"
                    + "persistence_enabled false\ntelemetry_enabled false\nallow_anonymous true\n"
                    + (webhook ? "intercept.handler io.mqttwebhook.moquette.WebhookInterceptHandler\n" : ""));
            if (webhookConf != null) {
                Files.copy(webhookConf, config.resolve("webhook.conf"));
            }
            command.addAll(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "-cp",
                    options.get("moquette-lib") + File.separator + "*" + File.pathSeparator + options.get("moquette-jar"),
                    "io.moquette.broker.Server"));
        }
        return new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(home.resolve("broker.log").toFile()).start();
    }

    /**
     * The broker JVM seen from outside: CPU time from {@code /proc}, heap through JMX (attached to its pid),
     * sampled every 50 ms for the peak of a scenario.
     */
    private static final class BrokerProbe implements AutoCloseable {
        private final Process process;
        private final javax.management.remote.JMXConnector connector;
        private final java.lang.management.MemoryMXBean memory;
        private final Thread sampler;
        private volatile long peakHeap;
        private long cpuTicksAtStart;

        private BrokerProbe(final Process process, final javax.management.remote.JMXConnector connector)
                throws IOException {
            this.process = process;
            this.connector = connector;
            this.memory = ManagementFactory.newPlatformMXBeanProxy(connector.getMBeanServerConnection(),
                    ManagementFactory.MEMORY_MXBEAN_NAME, java.lang.management.MemoryMXBean.class);
            this.sampler = new Thread(this::sample, "heap-sampler");
            sampler.setDaemon(true);
            sampler.start();
        }

        static BrokerProbe attach(final Process process, final int mqttPort) throws Exception {
            awaitPort(mqttPort);
            final com.sun.tools.attach.VirtualMachine vm =
                    com.sun.tools.attach.VirtualMachine.attach(Long.toString(process.pid()));
            try {
                final String address = vm.startLocalManagementAgent();
                return new BrokerProbe(process, javax.management.remote.JMXConnectorFactory.connect(
                        new javax.management.remote.JMXServiceURL(address)));
            } finally {
                vm.detach();
            }
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

        void startScenario() throws IOException {
            cpuTicksAtStart = cpuTicks();
            peakHeap = 0;
        }

        void endScenario(final Result result) throws IOException {
            result.brokerCpuSeconds = (cpuTicks() - cpuTicksAtStart) / 100.0;
            result.brokerPeakHeapMb = peakHeap / 1048576;
        }

        /** Heap in use right after a full collection: what is live. */
        long heapAfterGc() {
            memory.gc();
            memory.gc();
            return memory.getHeapMemoryUsage().getUsed();
        }

        /** utime + stime of the broker process, in clock ticks (1/100 s). */
        private long cpuTicks() throws IOException {
            final String stat = Files.readString(Paths.get("/proc/" + process.pid() + "/stat"));
            final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        }

        @Override
        public void close() throws IOException {
            sampler.interrupt();
            connector.close();
        }
    }

    private static String java() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void awaitPort(final int port) throws InterruptedException {
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

    private static void printTable(final String[] header, final List<String[]> rows) {
        final StringBuilder out = new StringBuilder("\n| " + String.join(" | ", header) + " |\n|");
        for (int i = 0; i < header.length; i++) {
            out.append("---|");
        }
        out.append('\n');
        for (final String[] row : rows) {
            out.append("| ").append(String.join(" | ", row)).append(" |\n");
        }
        System.out.println(out);
    }
}
