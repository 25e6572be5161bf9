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
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.mqttwebhook.bench.Targets.f0;
import static io.mqttwebhook.bench.Targets.f1;
import static io.mqttwebhook.bench.Targets.f2;

/**
 * End-to-end runs: for each broker, two JVMs side by side, one with the plugin loaded as users load it
 * (HiveMQ: the packaged extension folder; Moquette: Moquette's lib/ plus the plugin jar and
 * {@code intercept.handler}) and one without; nginx as the endpoint ({@link NginxEndpoint}); the publishers
 * here. Parts ({@code --parts}, all by default):
 * <ul>
 *   <li>{@code saturation}: QoS 1 as fast as the broker acknowledges (8 clients, 100 in flight each), each
 *       scenario measured right after the broker without the plugin, as rounds;</li>
 *   <li>{@code fixed}: QoS 0 at a fixed rate ({@code --fixed-rate}, 20 000 msg/s; 10 connections, one
 *       publishing thread; {@link PacedPublisher}), {@code --fixed-messages} (300 000) after a warm-up of
 *       {@code --fixed-warm-up} (400 000) at that rate: delivered events/s, dropped, and the CPU per delivered
 *       event as (broker JVM CPU with the plugin − without, at the same rate) / events; then the highest rate
 *       that drops nothing, and batches of 100;</li>
 *   <li>{@code latency}: QoS 1 at {@code --latency-rate} (10 000 msg/s), p99 of each message's round trip;</li>
 *   <li>{@code memory}: heap per queued event with the endpoint down;</li>
 *   <li>{@code disk}: a third JVM with {@code queue.type = disk}: QoS 1 at saturation (stored, dropped,
 *       delivered), QoS 0 at the fixed rate, and the file's bytes per event;</li>
 *   <li>{@code cold}: fresh JVMs started under the fixed-rate load, for the cold figures.</li>
 * </ul>
 * Each of these runs with each HTTP client of {@code --clients} (default {@code apache,nio}: before and after
 * issue 11), switched by live reload in the same JVM, and the targets of issue 11 are printed per broker.
 * Run by {@code benchmarks/run-e2e.sh}; or {@code --soak-minutes=N [--rate=msg/s] [--brokers=hivemq|moquette]}
 * for the soak, which stops and starts the same nginx every minute.
 */
public final class EndToEnd {

    private static final Pattern STOPPED = Pattern.compile(
            "mqtt-webhook stopped: matched=(\\d+) delivered=(\\d+) failed=(\\d+) dropped=(\\d+)");

    /** 100 bytes of sensor-like JSON, as a device would publish. */
    static final byte[] PAYLOAD = String.format(Locale.ROOT, "{\"device\":\"bench\",\"temperature\":21.5,\"humidity\":40,\"status\":\"ok\",\"seq\":%28d}", 0)
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private static final Pattern STARTED = Pattern.compile("mqtt-webhook started: .* \\(from (.+)\\)");
    /** The broker JVMs' flags, as the issue's independent harness ran them. */
    private static final List<String> BROKER_JVM = List.of("-Xms256m", "-Xmx2g", "-XX:+UseG1GC");
    private static final String PUBLISH_RULE = "events = [ { event = on_message_publish } ]\n";
    private static final String FLOOR = "rule matching no topic";
    private static final String BATCH_100 = "batch { max_events = 100, max_delay = 10ms }\n";
    /** The reference of the isolation rows: the same load with the healthy endpoint alone. */
    private static final String HEALTHY = "healthy, batch 1, pool 32";
    private static final String ISOLATION = "isolation: ";
    /** Stands for the second endpoint's port in a scenario's keys until {@link Brokers#apply}. */
    private static final String STUCK_PORT = "@STUCK_PORT@";
    /** A second endpoint that wants every publish too, beside the healthy default one. */
    private static final String STUCK = "endpoints.stuck { url = \"http://127.0.0.1:" + STUCK_PORT + "/hook\", "
            + "events = [ { event = on_message_publish } ] }\n";

    private final Map<String, String> options = new LinkedHashMap<>();
    private final int messages;
    private final List<String> clients;
    private final String before;
    private final String after;
    private final Set<String> parts;
    private final int fixedRate;
    private final int fixedMessages;
    private final int fixedWarmUp;
    private final int latencyRate;
    private final int latencyMessages;
    private final int rounds;
    private final int fixedRoundCount;
    private final List<Scenario> scenarios = new ArrayList<>();

    private final List<String[]> saturationRows = new ArrayList<>();
    private final List<String[]> fixedRows = new ArrayList<>();
    private final List<String[]> threadRows = new ArrayList<>();
    private final List<String[]> latencyRows = new ArrayList<>();
    private final List<String[]> diskRows = new ArrayList<>();
    private final List<String[]> memoryRows = new ArrayList<>();
    private final List<String[]> accountRows = new ArrayList<>();
    private final Map<String, Targets> targets = new LinkedHashMap<>();

    private EndToEnd(final String[] args) {
        for (final String arg : args) {
            final int eq = arg.indexOf('=');
            options.put(arg.substring(2, eq), arg.substring(eq + 1));
        }
        // below queue.capacity (100 000): a slow or absent endpoint must not overflow the queue within one scenario
        messages = Integer.parseInt(options.getOrDefault("messages", "80000"));
        clients = List.of(options.getOrDefault("clients", "apache,nio").split(","));
        before = clients.get(0);
        after = clients.get(clients.size() - 1);
        parts = new LinkedHashSet<>(List.of(options.getOrDefault("parts",
                "saturation,fixed,latency,memory,disk,cold").split(",")));
        fixedRate = Integer.parseInt(options.getOrDefault("fixed-rate", "20000"));
        fixedMessages = Integer.parseInt(options.getOrDefault("fixed-messages", "300000"));
        fixedWarmUp = Integer.parseInt(options.getOrDefault("fixed-warm-up", "400000"));
        latencyRate = Integer.parseInt(options.getOrDefault("latency-rate", "10000"));
        latencyMessages = Integer.parseInt(options.getOrDefault("latency-messages", "100000"));
        rounds = Integer.parseInt(options.getOrDefault("rounds", "3"));
        fixedRoundCount = Integer.parseInt(options.getOrDefault("fixed-rounds", "3"));
        scenarios.add(new Scenario("loaded, no rule for publishes", after,
                "events = [ { event = on_client_connack } ]\n", false, 0));
        for (final String client : clients) {
            scenarios.add(new Scenario(HEALTHY, client, PUBLISH_RULE, false, 0));
        }
        for (final String client : clients) {
            scenarios.add(new Scenario("healthy, batch 100", client, BATCH_100 + PUBLISH_RULE, false, 0));
        }
        scenarios.add(new Scenario("healthy, batch 1, pool 8", after, "pool_size = 8\n" + PUBLISH_RULE, false, 0));
        scenarios.add(new Scenario("slow endpoint (50 ms), pool 32", after, PUBLISH_RULE, true, 0));
        scenarios.add(new Scenario("endpoint down 10 s, pool 32", after, PUBLISH_RULE, false, 10));
        // issue 12: a second endpoint that hangs (accepts, reads, never answers) or is down must change nothing
        // for the healthy one: its delivered ev/s and latency, and the broker's publish rate and latency
        scenarios.add(new Scenario(ISOLATION + "second endpoint hanging", after, PUBLISH_RULE + STUCK, false, 0));
        scenarios.add(new Scenario(ISOLATION + "second endpoint down", after, PUBLISH_RULE + STUCK, false, 0));
        // --scenarios=name|name...: only the scenarios whose names start with one of these
        final String only = options.get("scenarios");
        if (only != null) {
            final List<String> prefixes = List.of(only.split("\\|"));
            scenarios.removeIf(scenario -> prefixes.stream().noneMatch(scenario.name::startsWith));
        }
    }

    /** One configuration of the plugin and the endpoint, applied to the running broker by live reload. */
    private static final class Scenario {
        final String name;
        final String client;
        final String webhook; // extra webhook keys, the events list included
        final boolean slow;
        final int endpointDownSeconds;

        Scenario(final String name, final String client, final String webhook, final boolean slow,
                 final int endpointDownSeconds) {
            this.name = name;
            this.client = client;
            this.webhook = clientKeys(client) + webhook;
            this.slow = slow;
            this.endpointDownSeconds = endpointDownSeconds;
        }

        boolean hooksPublishes() {
            return webhook.contains(PUBLISH_RULE);
        }
    }

    private static String clientKeys(final String client) {
        return "http.client = " + client + "\n";
    }

    /** The webhook keys of a client with batch 1 or 100, every publish hooked. */
    private static String conf(final String client, final int batch) {
        return clientKeys(client) + (batch > 1 ? BATCH_100 : "") + PUBLISH_RULE;
    }

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
        final String loadAtStart = load();
        for (final String broker : options.getOrDefault("brokers", "hivemq,moquette").split(",")) {
            final Targets brokerTargets = new Targets(broker, before, after);
            targets.put(broker, brokerTargets);
            runBroker(broker, brokerTargets);
        }
        System.out.println("\nload average at the start: " + loadAtStart + "; at the end: " + load());
        for (final Targets each : targets.values()) {
            printTable(Targets.header(before, after), each.rows());
        }
        printTable(new String[]{"broker", "client", "queue", "batch", "JVM", "offered msg/s", "published msg/s",
                "delivered ev/s", "received / published", "dropped", "broker CPU s", "absent CPU s",
                "plugin CPU µs/event", "delivery p99 ms"}, fixedRows);
        printTable(new String[]{"broker", "client", "batch", "JVM", "broker threads with the plugin, CPU µs per event",
                "without the plugin, µs per message"}, threadRows);
        printTable(new String[]{"broker", "client", "scenario", "publish msg/s", "absent msg/s", "vs absent",
                "QoS1 p50 us", "QoS1 p99 us", "absent QoS1 p99 us", "delivered ev/s", "received / published",
                "delivery p50 ms", "delivery p99 ms", "broker CPU s", "absent CPU s", "broker peak heap MB",
                "load gen CPU s"}, saturationRows);
        printTable(new String[]{"broker", "client", "QoS 1 msg/s", "p50 us", "p99 us", "absent p50 us",
                "absent p99 us", "p99 vs absent"}, latencyRows);
        printTable(new String[]{"broker", "client", "disk queue scenario", "publish msg/s", "absent msg/s",
                "vs absent", "stored ev/s", "dropped", "delivered ev/s", "file bytes per event"}, diskRows);
        printTable(new String[]{"broker", "queued events (endpoint down)", "broker heap after GC MB",
                "heap per queued event B", "dropped (queue full)"}, memoryRows);
        printTable(new String[]{"broker JVM", "events matched (whole run)", "received by nginx", "dropped (counted)",
                "failed (counted)", "lost"}, accountRows);
    }

    private static String load() {
        try {
            return Files.readString(Paths.get("/proc/loadavg")).trim();
        } catch (final IOException e) {
            return "?";
        }
    }

    private int warmUpMessages() {
        return Integer.parseInt(options.getOrDefault("warm-up", Integer.toString(messages)));
    }

    /** The JVMs of one broker, their ports and the files they share with this harness. */
    private final class Brokers {
        final String broker;
        final Path home;
        final int absentPort;
        final int mqttPort;
        final int endpointPort;
        /** The isolation scenarios' second endpoint: a hanging server, or nothing listening. */
        final int stuckPort;
        final Path brokerLog;
        Process absent;
        Process plugin;
        BrokerProbe absentProbe;
        BrokerProbe probe;
        Path liveConf;
        String applied;
        int step;

        Brokers(final String broker) throws IOException {
            this.broker = broker;
            this.home = Files.createTempDirectory("mqtt-webhook-e2e");
            this.absentPort = freePort();
            this.mqttPort = freePort();
            this.endpointPort = freePort();
            this.stuckPort = freePort();
            this.brokerLog = home.resolve("broker.log");
        }

        Path nextNginxDir() {
            return home.resolve("nginx-" + step++);
        }

        /** Applies webhook keys to the plugin's broker by live reload, when they differ from those in force. */
        void apply(final String scenarioKeys) throws Exception {
            final String keys = scenarioKeys.replace(STUCK_PORT, Integer.toString(stuckPort));
            if (!keys.equals(applied)) {
                reload(liveConf, brokerLog, endpointPort, keys);
                applied = keys;
            }
        }
    }

    /**
     * The broker without the plugin and the one with it, both warmed up, then the parts of the run; the disk
     * part in a third JVM beside the broker without the plugin, the cold part in fresh JVMs.
     */
    private void runBroker(final String broker, final Targets t) throws Exception {
        final Brokers b = new Brokers(broker);
        final Path webhookConf = b.home.resolve("webhook.conf");
        b.applied = conf(after, 1);
        writeWebhookConf(webhookConf, b.endpointPort, b.applied);
        b.absent = startBroker(broker, false, Files.createDirectories(b.home.resolve("absent")), b.absentPort, null);
        b.plugin = startBroker(broker, true, b.home, b.mqttPort, webhookConf);
        try (BrokerProbe absentProbe = BrokerProbe.attach(b.absent, b.absentPort)) {
            b.absentProbe = absentProbe;
            try (BrokerProbe probe = BrokerProbe.attach(b.plugin, b.mqttPort)) {
                b.probe = probe;
                System.err.printf("== %s: warm-up, both brokers (load %s)%n", broker, load());
                measurePublishing(b.absentPort, new Result(), warmUpMessages());
                try (NginxEndpoint endpoint = new NginxEndpoint(b.nextNginxDir(), b.endpointPort, false).start(nginx())) {
                    final Result warm = new Result();
                    final long startMillis = System.currentTimeMillis();
                    measurePublishing(b.mqttPort, warm, warmUpMessages());
                    awaitDelivery(endpoint, warm, startMillis);
                }
                // the file the plugin watches, from its start line (the HiveMQ launcher copies it into the extension)
                final Matcher started = STARTED.matcher(Files.readString(b.brokerLog));
                if (!started.find()) {
                    throw new IllegalStateException("the plugin did not start; see " + b.brokerLog);
                }
                b.liveConf = b.home.resolve(started.group(1));
                if (parts.contains("saturation")) {
                    saturation(b, t);
                }
                if (parts.contains("fixed")) {
                    fixed(b, t);
                }
                if (parts.contains("latency")) {
                    latency(b, t);
                }
                if (parts.contains("memory")) {
                    b.apply(conf(after, 1));
                    System.err.printf("== %s: memory with the endpoint down%n", broker);
                    memoryRows.addAll(measureMemory(broker, b.nextNginxDir(), b.mqttPort, b.endpointPort, probe));
                }
            } finally {
                stop(b.plugin);
            }
            accountRows.add(accounting(broker, b.brokerLog, b.home, "nginx-", b.step));
            if (parts.contains("disk")) {
                disk(b, t);
            }
        } finally {
            stop(b.absent);
        }
        if (parts.contains("cold")) {
            cold(b, t);
        }
    }

    /** Every event the plugin matched in one JVM's life is delivered (once, by webhook-id), or counted. */
    private static String[] accounting(final String label, final Path brokerLog, final Path home, final String nginxPrefix,
                                       final int steps) throws IOException {
        final Matcher stopped = STOPPED.matcher(Files.readString(brokerLog));
        if (!stopped.find()) {
            throw new IllegalStateException("no stop line in " + brokerLog);
        }
        System.err.printf("== %s: %s%n", label, stopped.group());
        long received = 0;
        for (int i = 0; i < steps; i++) {
            received += NginxEndpoint.read(home.resolve(nginxPrefix + i).resolve("hooks.log"), 0).events;
        }
        final long matched = Long.parseLong(stopped.group(1));
        final long failed = Long.parseLong(stopped.group(3));
        final long dropped = Long.parseLong(stopped.group(4));
        return new String[]{label, Long.toString(matched), Long.toString(received), Long.toString(dropped),
                Long.toString(failed), Long.toString(matched - received - dropped - failed)};
    }

    // ------------------------------------------------------------------ saturation (QoS 1 as fast as acknowledged)

    private void saturation(final Brokers b, final Targets t) throws Exception {
        for (final Scenario scenario : scenarios) {
            System.err.printf("== %s: %s (%s; load %s)%n", b.broker, scenario.name, scenario.client, load());
            final Result[] measured;
            try (HangingEndpoint hanging = scenario.name.endsWith("hanging") ? new HangingEndpoint(b.stuckPort) : null) {
                b.apply(scenario.webhook);
                measured = runScenario(b, scenario);
                if (hanging != null) {
                    System.err.printf("   the hanging endpoint: %d connections, %d bytes read%n",
                            hanging.connections(), hanging.bytesRead());
                }
            }
            final Result median = measured[0];
            final Result absent = measured[1];
            saturationRows.add(median.row(b.broker, scenario.client, scenario.name, absent));
            System.err.println("   " + String.join(" | ", saturationRows.get(saturationRows.size() - 1)));
            final double ratio = median.publishRate / absent.publishRate;
            if (scenario.name.equals(HEALTHY) && scenario.client.equals(after)) {
                healthy.put(b.broker, median);
            }
            if (scenario.name.startsWith(ISOLATION) && healthy.containsKey(b.broker)) {
                final Result alone = healthy.get(b.broker);
                final double delivered = median.deliveredRate / alone.deliveredRate;
                final double publishP99 = median.latencyP99Micros / alone.latencyP99Micros;
                final double deliveryP99 = (double) median.deliveryP99 / Math.max(1, alone.deliveryP99);
                t.put(scenario.name, after, "delivered " + f2(delivered) + ", publish rate "
                        + f2(median.publishRate / alone.publishRate) + ", publish p99 " + f2(publishP99)
                        + ", delivery p99 " + f2(deliveryP99), delivered);
                t.put(scenario.name + " publish", after, "", median.publishRate / alone.publishRate);
            }
            if (scenario.name.equals(HEALTHY)) {
                t.put("saturation 1", scenario.client, f2(ratio) + " (" + f0(median.publishRate) + " vs "
                        + f0(absent.publishRate) + ")", ratio);
                memoryDelivered.put(b.broker + "/" + scenario.client, median.deliveredRate);
            } else if (scenario.name.equals("healthy, batch 100")) {
                t.put("saturation 100", scenario.client, f2(ratio) + " (" + f0(median.publishRate) + " vs "
                        + f0(absent.publishRate) + ")", ratio);
            } else if (scenario.name.startsWith("endpoint down")) {
                for (final String client : clients) {
                    t.put("saturation down", client, f2(ratio), ratio);
                }
            }
        }
    }

    /** The median round of the healthy endpoint alone, batch 1, per broker (the isolation rows' reference). */
    private final Map<String, Result> healthy = new HashMap<>();

    /** Delivered events/s of the memory queue at saturation, batch 1, per broker and client (for the disk rows). */
    private final Map<String, Double> memoryDelivered = new HashMap<>();

    /**
     * Rounds of: the broker without the plugin, then the one with it, until its events are delivered. Healthy
     * scenarios run {@code --rounds} rounds (default 3) and report the round with the median publish rate
     * against the median rate without the plugin; slow and down run one (more would overflow the queue).
     * Returns the median round and the median round without the plugin.
     */
    private Result[] runScenario(final Brokers b, final Scenario scenario) throws Exception {
        final int count = scenario.slow || scenario.endpointDownSeconds > 0 ? 1 : rounds;
        final List<Result> absentResults = new ArrayList<>();
        final List<Result> results = new ArrayList<>();
        try (NginxEndpoint endpoint = new NginxEndpoint(b.nextNginxDir(), b.endpointPort, scenario.slow)) {
            if (scenario.endpointDownSeconds == 0) {
                endpoint.start(nginx());
            }
            long logOffset = 0;
            for (int round = 0; round < count; round++) {
                final Result baseline = new Result();
                b.absentProbe.start();
                measurePublishing(b.absentPort, baseline, messages);
                baseline.take(b.absentProbe.end());
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
                b.probe.start();
                measurePublishing(b.mqttPort, result, messages);
                if (later != null) {
                    later.join();
                }
                if (scenario.hooksPublishes()) {
                    awaitDelivery(endpoint, result, startMillis, logOffset, 30_000);
                    logOffset = result.logEnd;
                }
                result.take(b.probe.end());
                results.add(result);
            }
        }
        final Result median = median(results);
        // the median round's figures, with every round's events accounted for
        median.receivedAllRounds = results.stream().mapToLong(r -> r.received).sum();
        median.publishedAllRounds = results.stream().mapToLong(r -> r.published).sum();
        return new Result[]{median, median(absentResults)};
    }

    private static Result median(final List<Result> results) {
        final List<Result> sorted = new ArrayList<>(results);
        sorted.sort(java.util.Comparator.comparingDouble(r -> r.publishRate));
        return sorted.get(sorted.size() / 2);
    }

    // ------------------------------------------------------------------ fixed rate (QoS 0, paced)

    /** One fixed-rate run of the broker with the plugin, with the broker without it at the same rate. */
    private static final class Fixed {
        PacedPublisher.Run publish;
        NginxEndpoint.Deliveries deliveries;
        long dropped;
        double deliveredRate;
        BrokerProbe.Window plugin;
        BrokerProbe.Window absent;
        long droppedAllRounds;
        double slowestRate;

        /** Per delivered event; per published message when nothing is delivered (a rule matching nothing). */
        double cpuPerEvent() {
            final long events = deliveries.events == 0 ? publish.published : deliveries.events;
            return (plugin.cpuSeconds - absent.cpuSeconds) * 1e6 / events;
        }

        String keepUp() {
            return dropped + " / " + f0(deliveredRate);
        }
    }

    private Fixed fixedRun(final Brokers b, final int port, final BrokerProbe probe, final NginxEndpoint endpoint,
                           final long[] logOffset, final int rate, final long count, final String client,
                           final String queue, final int batch, final String jvm, final BrokerProbe.Window absent)
            throws Exception {
        final Fixed run = new Fixed();
        final long droppedBefore = probe.dropped();
        probe.start();
        final long startMillis = System.currentTimeMillis();
        run.publish = PacedPublisher.publish(port, rate, count, MqttQos.AT_MOST_ONCE, "fixed");
        run.deliveries = awaitDelivered(endpoint, batch == 0 ? 1 : count, logOffset[0], batch == 0 ? 1_000 : 3_000);
        logOffset[0] = run.deliveries.endOffset;
        run.plugin = probe.end();
        final long droppedAfter = probe.dropped();
        run.dropped = droppedBefore < 0 || droppedAfter < 0 ? (batch == 0 ? 0 : count - run.deliveries.events)
                : droppedAfter - droppedBefore;
        run.deliveredRate = run.deliveries.events / Math.max(1e-3, (run.deliveries.lastReceiptMillis - startMillis) / 1e3);
        run.absent = absent;
        fixedRows.add(new String[]{b.broker, client, queue, batch == 0 ? "-" : Integer.toString(batch), jvm,
                Integer.toString(rate),
                run.publish.rate(), f0(run.deliveredRate), run.deliveries.events + " / " + count,
                Long.toString(run.dropped), f1(run.plugin.cpuSeconds), f1(absent.cpuSeconds), f1(run.cpuPerEvent()),
                Long.toString(run.deliveries.p99)});
        threadRows.add(new String[]{b.broker, client, batch == 0 ? "-" : Integer.toString(batch),
                jvm + ", " + queue + ", " + rate + " msg/s",
                run.plugin.threadsPerEvent(run.deliveries.events == 0 ? count : run.deliveries.events),
                absent.threadsPerEvent(count)});
        System.err.println("   " + String.join(" | ", fixedRows.get(fixedRows.size() - 1)));
        return run;
    }

    /**
     * The broker without the plugin at a fixed rate: its CPU for {@code --fixed-messages}, measured right before
     * the run with the plugin that it is compared with, so that both JVMs are as warm and the machine as busy.
     */
    private BrokerProbe.Window absentAt(final Brokers b, final int rate) throws Exception {
        b.absentProbe.start();
        PacedPublisher.publish(b.absentPort, rate, fixedMessages, MqttQos.AT_MOST_ONCE, "fixed");
        return b.absentProbe.end();
    }

    /**
     * {@code --fixed-rounds} runs (default 3) at the fixed rate, each right after the broker without the plugin
     * at that rate; the round with the median CPU per event stands for them (on 2 shared cores one window's CPU
     * varies by a few µs per event).
     */
    private Fixed fixedRounds(final Brokers b, final NginxEndpoint endpoint, final long[] offset, final String client,
                              final int batch) throws Exception {
        final List<Fixed> runs = new ArrayList<>();
        for (int round = 0; round < fixedRoundCount; round++) {
            runs.add(fixedRun(b, b.mqttPort, b.probe, endpoint, offset, fixedRate, fixedMessages, client, "memory",
                    batch, "warm", absentAt(b, fixedRate)));
        }
        runs.sort(java.util.Comparator.comparingDouble(Fixed::cpuPerEvent));
        final Fixed median = runs.get(runs.size() / 2);
        median.droppedAllRounds = runs.stream().mapToLong(r -> r.dropped).sum();
        median.slowestRate = runs.stream().mapToDouble(r -> r.deliveredRate).min().orElse(0);
        return median;
    }

    private void fixed(final Brokers b, final Targets t) throws Exception {
        System.err.printf("== %s: fixed rate, warm-up of the broker without the plugin (load %s)%n", b.broker, load());
        PacedPublisher.publish(b.absentPort, fixedRate, fixedWarmUp, MqttQos.AT_MOST_ONCE, "warm");
        try (NginxEndpoint endpoint = new NginxEndpoint(b.nextNginxDir(), b.endpointPort, false).start(nginx())) {
            final long[] offset = {0};
            for (final String client : clients) {
                b.apply(conf(client, 1));
                System.err.printf("== %s: fixed rate, %s, warm-up of %d messages at %d msg/s (load %s)%n", b.broker,
                        client, fixedWarmUp, fixedRate, load());
                PacedPublisher.publish(b.mqttPort, fixedRate, fixedWarmUp, MqttQos.AT_MOST_ONCE, "warm");
                offset[0] = awaitDelivered(endpoint, Long.MAX_VALUE, offset[0], 3_000).endOffset;
                final Fixed keepUp = fixedRounds(b, endpoint, offset, client, 1);
                t.put("keep up", client, keepUp.droppedAllRounds + " / " + f0(keepUp.slowestRate)
                        + (fixedRoundCount > 1 ? " (" + fixedRoundCount + " rounds)" : ""), keepUp.droppedAllRounds);
                t.put("keep up rate", client, "", keepUp.slowestRate);
                t.put("cpu 1", client, f1(keepUp.cpuPerEvent()), keepUp.cpuPerEvent());
                final int best = search(b, endpoint, offset, client, keepUp);
                t.put("best rate", client, best == 0 ? "none tried" : Integer.toString(best), best);
                b.apply(conf(client, 100));
                PacedPublisher.publish(b.mqttPort, fixedRate, fixedWarmUp / 4, MqttQos.AT_MOST_ONCE, "warm");
                offset[0] = awaitDelivered(endpoint, Long.MAX_VALUE, offset[0], 3_000).endOffset;
                final Fixed batched = fixedRounds(b, endpoint, offset, client, 100);
                t.put("cpu 100", client, f1(batched.cpuPerEvent()), batched.cpuPerEvent());
            }
            // the broker's own cost of showing publishes to an extension: a publish rule that matches no topic
            b.apply(clientKeys(after) + "events = [ { event = on_message_publish, topic = \"no/such/topic\" } ]\n");
            final Fixed floor = fixedRun(b, b.mqttPort, b.probe, endpoint, offset, fixedRate, fixedMessages,
                    "rule matching no topic", "-", 0, "warm", absentAt(b, fixedRate));
            for (final String client : clients) {
                t.put("floor", client, f1(floor.cpuPerEvent()) + " µs/message", floor.cpuPerEvent());
            }
        }
    }

    private List<Integer> searchUp() {
        return rates("search-up", "25000,30000,35000,40000,50000");
    }

    private List<Integer> searchDown() {
        return rates("search-down", "15000,10000,5000");
    }

    private List<Integer> rates(final String option, final String fallback) {
        final List<Integer> rates = new ArrayList<>();
        for (final String rate : options.getOrDefault(option, fallback).split(",")) {
            if (!rate.isBlank()) {
                rates.add(Integer.parseInt(rate.trim()));
            }
        }
        return rates;
    }

    /**
     * The highest rate that drops nothing: up from the fixed rate until one drops, or down from it until one
     * does not (0 when none does).
     */
    private int search(final Brokers b, final NginxEndpoint endpoint, final long[] offset, final String client,
                       final Fixed atFixedRate) throws Exception {
        if (atFixedRate.droppedAllRounds == 0) {
            int best = fixedRate;
            for (final int rate : searchUp()) {
                System.err.printf("== %s: %s at %d msg/s (load %s)%n", b.broker, client, rate, load());
                final Fixed run = fixedRun(b, b.mqttPort, b.probe, endpoint, offset, rate, fixedMessages, client,
                        "memory", 1, "warm", absentAt(b, rate));
                if (run.dropped > 0 || run.publish.achievedRate < rate * 0.97) {
                    break; // dropped, or the load generator could not offer that rate
                }
                best = rate;
            }
            return best;
        }
        for (final int rate : searchDown()) {
            System.err.printf("== %s: %s at %d msg/s (load %s)%n", b.broker, client, rate, load());
            final Fixed run = fixedRun(b, b.mqttPort, b.probe, endpoint, offset, rate, fixedMessages, client, "memory",
                    1, "warm", absentAt(b, rate));
            if (run.dropped == 0) {
                return rate;
            }
        }
        return 0;
    }

    // ------------------------------------------------------------------ latency below saturation

    private void latency(final Brokers b, final Targets t) throws Exception {
        final List<Double> absentP50 = new ArrayList<>();
        final List<Double> absentP99 = new ArrayList<>();
        final Map<String, List<Double>> p50 = new LinkedHashMap<>();
        final Map<String, List<Double>> p99 = new LinkedHashMap<>();
        try (NginxEndpoint endpoint = new NginxEndpoint(b.nextNginxDir(), b.endpointPort, false).start(nginx())) {
            final long[] offset = {0};
            for (int round = 0; round < rounds; round++) {
                System.err.printf("== %s: QoS 1 at %d msg/s, round %d (load %s)%n", b.broker, latencyRate, round + 1,
                        load());
                final PacedPublisher.Run absent = PacedPublisher.publish(b.absentPort, latencyRate, latencyMessages,
                        MqttQos.AT_LEAST_ONCE, "latency");
                absentP50.add(absent.p50Micros);
                absentP99.add(absent.p99Micros);
                for (final String client : clients) {
                    b.apply(conf(client, 1));
                    final PacedPublisher.Run run = PacedPublisher.publish(b.mqttPort, latencyRate, latencyMessages,
                            MqttQos.AT_LEAST_ONCE, "latency");
                    offset[0] = awaitDelivered(endpoint, latencyMessages, offset[0], 3_000).endOffset;
                    p50.computeIfAbsent(client, c -> new ArrayList<>()).add(run.p50Micros);
                    p99.computeIfAbsent(client, c -> new ArrayList<>()).add(run.p99Micros);
                }
                // the broker's own cost of showing publishes to an extension, without any delivery
                b.apply(clientKeys(after) + "events = [ { event = on_message_publish, topic = \"no/such/topic\" } ]\n");
                final PacedPublisher.Run floor = PacedPublisher.publish(b.mqttPort, latencyRate, latencyMessages,
                        MqttQos.AT_LEAST_ONCE, "latency");
                p50.computeIfAbsent(FLOOR, c -> new ArrayList<>()).add(floor.p50Micros);
                p99.computeIfAbsent(FLOOR, c -> new ArrayList<>()).add(floor.p99Micros);
            }
        }
        final double absent99 = medianOf(absentP99);
        final List<String> rows = new ArrayList<>(clients);
        rows.add(FLOOR);
        for (final String client : rows) {
            final double ratio = medianOf(p99.get(client)) / absent99;
            latencyRows.add(new String[]{b.broker, client, Integer.toString(latencyRate), f0(medianOf(p50.get(client))),
                    f0(medianOf(p99.get(client))), f0(medianOf(absentP50)), f0(absent99), f2(ratio)});
            if (client.equals(FLOOR)) {
                for (final String each : clients) {
                    t.put("latency floor", each, f2(ratio) + " (" + f0(medianOf(p99.get(client))) + " µs)", ratio);
                }
            } else {
                t.put("latency", client, f2(ratio) + " (" + f0(medianOf(p99.get(client))) + " vs " + f0(absent99)
                        + " µs)", ratio);
            }
        }
    }

    private static double medianOf(final List<Double> values) {
        final List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        return sorted.get(sorted.size() / 2);
    }

    // ------------------------------------------------------------------ disk queue

    /**
     * A third JVM with the plugin on {@code queue.type = disk}, beside the broker without the plugin: QoS 1 at
     * saturation per client (stored, dropped, delivered), QoS 0 at the fixed rate, then the endpoint down for
     * 100 000 events to measure the file's bytes per event and how fast the file drains.
     */
    private void disk(final Brokers b, final Targets t) throws Exception {
        final Path home = Files.createDirectories(b.home.resolve("disk"));
        final Path queueDir = home.resolve("queue");
        final int port = freePort();
        final Path conf = home.resolve("webhook.conf");
        final String diskKeys = "queue.type = disk\n  queue.dir = \"" + queueDir + "\"\n";
        writeWebhookConf(conf, b.endpointPort, diskKeys + conf(after, 1));
        final Process process = startBroker(b.broker, true, home, port, conf);
        final Path log = home.resolve("broker.log");
        int steps = 0;
        try (BrokerProbe probe = BrokerProbe.attach(process, port)) {
            // the endpoint down: what 100 000 events take in the file, and how fast it drains once back
            System.err.printf("== %s: disk queue, endpoint down (load %s)%n", b.broker, load());
            final Path file = queueDir.resolve("queue.mv.db");
            for (int i = 0; i < 300 && !Files.exists(file); i++) {
                Thread.sleep(100); // the plugin opens its queue file on its start thread
            }
            final long emptySize = Files.size(file); // a fresh file: MVStore reuses the space of removed events later
            final int queued = 100_000;
            final long droppedBeforeDown = probe.dropped();
            final Result down = new Result();
            measurePublishing(port, down, queued, false);
            long size = Files.size(file);
            for (int stable = 0; stable < 5; ) {
                Thread.sleep(200); // the writer commits every queue.sync_interval (100 ms)
                final long now = Files.size(file);
                stable = now == size ? stable + 1 : 0;
                size = now;
            }
            final long droppedDown = probe.dropped() - droppedBeforeDown;
            final double bytesPerEvent = (double) (size - emptySize) / (queued - droppedDown);
            try (NginxEndpoint endpoint = new NginxEndpoint(home.resolve("nginx-" + steps++), b.endpointPort, false)
                    .start(nginx())) {
                final Result drain = new Result();
                drain.published = queued;
                final long startMillis = System.currentTimeMillis();
                awaitDelivery(endpoint, drain, startMillis, 0, 10_000);
                diskRows.add(new String[]{b.broker, after, "endpoint down: 100 000 QoS 1 events stored, then delivered",
                        f0(down.publishRate), "-", "-", f0((queued - droppedDown) / down.publishSeconds),
                        Long.toString(droppedDown), f0(drain.deliveredRate) + " (draining)", f0(bytesPerEvent)});
                t.put("disk bytes", after, f0(bytesPerEvent) + " B", bytesPerEvent);
            }
            System.err.printf("== %s: disk queue, warm-up (load %s)%n", b.broker, load());
            try (NginxEndpoint endpoint = new NginxEndpoint(home.resolve("nginx-" + steps++), b.endpointPort, false)
                    .start(nginx())) {
                final Result warm = new Result();
                final long startMillis = System.currentTimeMillis();
                measurePublishing(port, warm, warmUpMessages());
                awaitDelivery(endpoint, warm, startMillis);
            }
            final Matcher started = STARTED.matcher(Files.readString(log));
            if (!started.find()) {
                throw new IllegalStateException("the plugin did not start; see " + log);
            }
            final Path live = home.resolve(started.group(1));
            String applied = diskKeys + conf(after, 1);
            try (NginxEndpoint endpoint = new NginxEndpoint(home.resolve("nginx-" + steps++), b.endpointPort, false)
                    .start(nginx())) {
                long offset = 0;
                for (final String client : clients) {
                    final String keys = diskKeys + conf(client, 1);
                    if (!keys.equals(applied)) {
                        reload(live, log, b.endpointPort, keys);
                        applied = keys;
                    }
                    System.err.printf("== %s: disk queue, QoS 1 at saturation, %s (load %s)%n", b.broker, client, load());
                    final List<Result> absents = new ArrayList<>();
                    final List<Result> results = new ArrayList<>();
                    for (int round = 0; round < rounds; round++) {
                        final Result absent = new Result();
                        measurePublishing(b.absentPort, absent, messages);
                        absents.add(absent);
                        final Result result = new Result();
                        final long droppedBefore = probe.dropped();
                        final long startMillis = System.currentTimeMillis();
                        measurePublishing(port, result, messages);
                        awaitDelivery(endpoint, result, startMillis, offset, 10_000);
                        offset = result.logEnd;
                        result.dropped = probe.dropped() - droppedBefore;
                        results.add(result);
                    }
                    final Result median = median(results);
                    final Result absent = median(absents);
                    final long dropped = results.stream().mapToLong(r -> r.dropped).sum();
                    final double stored = (median.published - median.dropped) / median.publishSeconds;
                    diskRows.add(new String[]{b.broker, client, "QoS 1 at saturation, batch 1 (" + rounds + " rounds)",
                            f0(median.publishRate), f0(absent.publishRate), f2(median.publishRate / absent.publishRate),
                            f0(stored), Long.toString(dropped), f0(median.deliveredRate), "-"});
                    t.put("disk dropped", client, dropped + " / " + f0(stored), dropped);
                    final Double memory = memoryDelivered.get(b.broker + "/" + client);
                    if (memory != null) {
                        t.put("disk delivered", client, f0(median.deliveredRate) + " vs " + f0(memory),
                                median.deliveredRate / memory);
                    }
                }
                final String keys = diskKeys + conf(after, 1);
                if (!keys.equals(applied)) {
                    reload(live, log, b.endpointPort, keys);
                }
                System.err.printf("== %s: disk queue, QoS 0 at %d msg/s (load %s)%n", b.broker, fixedRate, load());
                PacedPublisher.publish(port, fixedRate, fixedWarmUp / 4, MqttQos.AT_MOST_ONCE, "warm");
                final long[] fixedOffset = {awaitDelivered(endpoint, Long.MAX_VALUE, offset, 3_000).endOffset};
                final Fixed fixedRun = fixedRun(b, port, probe, endpoint, fixedOffset, fixedRate, fixedMessages, after,
                        "disk", 1, "warm", absentAt(b, fixedRate));
                diskRows.add(new String[]{b.broker, after, "QoS 0 at " + fixedRate + " msg/s, batch 1",
                        fixedRun.publish.rate(), "-", "-", fixedRun.publish.rate(), Long.toString(fixedRun.dropped),
                        f0(fixedRun.deliveredRate), "-"});
                t.put("disk fixed", after, fixedRun.keepUp(), fixedRun.dropped);
                t.put("disk fixed rate", after, "", fixedRun.deliveredRate);
            }
        } finally {
            stop(process);
        }
        accountRows.add(accounting(b.broker + " (disk queue)", log, home, "nginx-", steps));
    }

    // ------------------------------------------------------------------ cold JVMs

    /** Fresh JVMs, the load from their first second: what a broker restarted under load lives through. */
    private void cold(final Brokers b, final Targets t) throws Exception {
        final Path home = Files.createDirectories(b.home.resolve("cold"));
        final int absentPort = freePort();
        final Process absent = startBroker(b.broker, false, Files.createDirectories(home.resolve("absent")), absentPort,
                null);
        final BrokerProbe.Window absentWindow;
        try (BrokerProbe probe = BrokerProbe.attach(absent, absentPort)) {
            System.err.printf("== %s: cold, broker without the plugin (load %s)%n", b.broker, load());
            probe.start();
            PacedPublisher.publish(absentPort, fixedRate, fixedMessages, MqttQos.AT_MOST_ONCE, "cold");
            absentWindow = probe.end();
        } finally {
            stop(absent);
        }
        for (final String client : clients) {
            final Path dir = Files.createDirectories(home.resolve(client));
            final int port = freePort();
            final Path conf = dir.resolve("webhook.conf");
            writeWebhookConf(conf, b.endpointPort, conf(client, 1));
            final Process process = startBroker(b.broker, true, dir, port, conf);
            try (BrokerProbe probe = BrokerProbe.attach(process, port);
                 NginxEndpoint endpoint = new NginxEndpoint(dir.resolve("nginx-0"), b.endpointPort, false).start(nginx())) {
                System.err.printf("== %s: cold, %s (load %s)%n", b.broker, client, load());
                final Fixed run = fixedRun(b, port, probe, endpoint, new long[]{0}, fixedRate, fixedMessages, client,
                        "memory", 1, "cold", absentWindow);
                t.put("keep up cold", client, run.keepUp() + ", " + f1(run.cpuPerEvent()) + " µs/event",
                        run.dropped);
            } finally {
                stop(process);
            }
        }
    }

    private static void writeWebhookConf(final Path file, final int endpointPort, final String extra) throws IOException {
        Files.writeString(file, "webhook {\n  url = \"http://127.0.0.1:" + endpointPort + "/hook\"\n"
                + "  reload.interval = 500ms\n  retry.max_backoff = 5s\n  " + extra + "}\n");
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

    /** What one saturation run measured. */
    private static final class Result {
        double publishRate;
        double publishSeconds;
        double latencyP50Micros;
        double latencyP99Micros;
        long received = -1;
        long dropped;
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

        void take(final BrokerProbe.Window window) {
            brokerCpuSeconds = window.cpuSeconds;
            brokerPeakHeapMb = window.peakHeapMb;
        }

        String[] row(final String broker, final String client, final String scenario, final Result absent) {
            return new String[]{broker, client, scenario, f0(publishRate), f0(absent.publishRate),
                    f2(publishRate / absent.publishRate), f0(latencyP50Micros), f0(latencyP99Micros),
                    f0(absent.latencyP99Micros), received < 0 ? "-" : f0(deliveredRate),
                    received < 0 ? "-" : receivedAllRounds + " / " + publishedAllRounds,
                    received < 0 ? "-" : Long.toString(deliveryP50), received < 0 ? "-" : Long.toString(deliveryP99),
                    f1(brokerCpuSeconds), f1(absent.brokerCpuSeconds), Long.toString(brokerPeakHeapMb),
                    f1(generatorCpuSeconds)};
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
        result.publishSeconds = (System.nanoTime() - start) / 1e9;
        result.publishRate = perClient * clients / result.publishSeconds;
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

    /** As {@link #awaitDelivery(NginxEndpoint, Result, long, long, long)} for the whole log, 30 s of quiet. */
    private static void awaitDelivery(final NginxEndpoint endpoint, final Result result, final long startMillis)
            throws Exception {
        awaitDelivery(endpoint, result, startMillis, 0, 30_000);
    }

    /**
     * Waits until nginx's log from byte {@code from} holds every published event (counted once by webhook-id),
     * or nothing more arrives for {@code quietMillis}; records received events, delivered events/s from
     * {@code startMillis} to the last receipt, delivery latency, and where the log ends.
     */
    private static void awaitDelivery(final NginxEndpoint endpoint, final Result result, final long startMillis,
                                      final long from, final long quietMillis) throws Exception {
        final NginxEndpoint.Deliveries deliveries = awaitDelivered(endpoint, result.published, from, quietMillis);
        result.logEnd = deliveries.endOffset;
        result.received = deliveries.events;
        result.deliveredRate = deliveries.events / Math.max(1e-3, (deliveries.lastReceiptMillis - startMillis) / 1e3);
        result.deliveryP50 = deliveries.p50;
        result.deliveryP99 = deliveries.p99;
    }

    /** Waits for {@code expected} events in nginx's log from byte {@code from}, or {@code quietMillis} without a request. */
    private static NginxEndpoint.Deliveries awaitDelivered(final NginxEndpoint endpoint, final long expected,
                                                          final long from, final long quietMillis) throws Exception {
        long handled = -1;
        long lastChange = System.nanoTime();
        NginxEndpoint.Deliveries deliveries;
        while (System.nanoTime() - lastChange < TimeUnit.MILLISECONDS.toNanos(quietMillis)) {
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
                if (deliveries.events >= expected) {
                    break;
                }
            }
        }
        deliveries = NginxEndpoint.read(endpoint.log(), from);
        if (deliveries.duplicateRequests > 0) {
            System.err.printf("   %d request(s) received twice (a retry after a lost answer), counted once%n",
                    deliveries.duplicateRequests);
        }
        return deliveries;
    }

    private Process startBroker(final String broker, final boolean webhook, final Path home, final int port,
                                final Path webhookConf) throws IOException {
        final List<String> command = new ArrayList<>(List.of(java()));
        command.addAll(BROKER_JVM);
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

    private static String java() {
        return Paths.get(System.getProperty("java.home"), "bin", "java").toString();
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static void awaitPort(final int port) throws InterruptedException {
        BrokerProbe.awaitPort(port);
    }

    private static void printTable(final String[] header, final List<String[]> rows) {
        if (rows.isEmpty()) {
            return;
        }
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
