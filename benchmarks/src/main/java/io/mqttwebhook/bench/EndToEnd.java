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
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
 * End-to-end runs: each broker in its own JVM with the plugin loaded as users load it (HiveMQ: the packaged
 * extension folder; Moquette: Moquette's lib/ plus the plugin jar and {@code intercept.handler}), the
 * endpoint in a third JVM ({@link Receiver}), and QoS 1 publishers here. Prints one table.
 * Run by {@code benchmarks/run-e2e.sh}; options {@code --messages=N --brokers=hivemq,moquette}, or
 * {@code --soak-minutes=N [--rate=msg/s] [--brokers=hivemq|moquette]} for the soak.
 */
public final class EndToEnd {

    private static final Pattern STOPPED = Pattern.compile(
            "mqtt-webhook stopped: matched=(\\d+) delivered=(\\d+) failed=(\\d+) dropped=(\\d+)");

    private final Map<String, String> options = new LinkedHashMap<>();
    private final int messages;
    private final HttpClient http = HttpClient.newHttpClient();

    private EndToEnd(final String[] args) {
        for (final String arg : args) {
            final int eq = arg.indexOf('=');
            options.put(arg.substring(2, eq), arg.substring(eq + 1));
        }
        messages = Integer.parseInt(options.getOrDefault("messages", "50000"));
    }

    /** One configuration of the plugin and the endpoint. */
    private static final class Scenario {
        final String name;
        final String webhook; // extra webhook keys; null: plugin absent
        final long endpointDelayMillis;
        final int endpointDownSeconds;

        Scenario(final String name, final String webhook, final long endpointDelayMillis, final int endpointDownSeconds) {
            this.name = name;
            this.webhook = webhook;
            this.endpointDelayMillis = endpointDelayMillis;
            this.endpointDownSeconds = endpointDownSeconds;
        }
    }

    private static final List<Scenario> SCENARIOS = List.of(
            new Scenario("plugin absent", null, 0, 0),
            new Scenario("healthy, batch 1, pool 32", "", 0, 0),
            new Scenario("healthy, batch 100", "batch { max_events = 100, max_delay = 10ms }\n", 0, 0),
            new Scenario("healthy, pool 8", "pool_size = 8\n", 0, 0),
            new Scenario("slow endpoint (50 ms)", "", 50, 0),
            new Scenario("endpoint down 10 s", "", 0, 10));

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
        final Process[] receiver = {startReceiver(endpointPort, 0)};
        final Process broker = startBroker(options.getOrDefault("brokers", "hivemq").split(",")[0], true, home, mqttPort,
                webhookConf);
        awaitPort(mqttPort);
        final Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3().identifier("soak")
                .serverHost("127.0.0.1").serverPort(mqttPort).buildAsync();
        client.connect().join();
        final byte[] payload = new byte[100];
        long published = 0;
        long receivedBefore = 0;
        final long start = System.nanoTime();
        final long end = start + TimeUnit.MINUTES.toNanos(minutes);
        long nextSample = start;
        System.out.println("| minute:second | endpoint | published | received | broker threads | broker RSS MB |");
        System.out.println("|---|---|---|---|---|---|");
        while (System.nanoTime() < end) {
            final long elapsedSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
            final boolean down = elapsedSeconds % 60 >= 50;
            if (down && receiver[0] != null) {
                receivedBefore += Long.parseLong(stats(endpointPort)[1]);
                receiver[0].destroy();
                receiver[0].waitFor(10, TimeUnit.SECONDS);
                receiver[0] = null;
            } else if (!down && receiver[0] == null) {
                receiver[0] = startReceiver(endpointPort, 0);
            }
            final long due = (System.nanoTime() - start) * rate / 1_000_000_000L;
            while (published < due) {
                client.publishWith().topic("soak/" + (published % 100)).qos(MqttQos.AT_LEAST_ONCE).payload(payload).send();
                published++;
            }
            if (System.nanoTime() >= nextSample) {
                nextSample += TimeUnit.SECONDS.toNanos(10);
                final long received = receivedBefore + (receiver[0] == null ? 0 : Long.parseLong(stats(endpointPort)[1]));
                System.out.printf(Locale.ROOT, "| %d:%02d | %s | %d | %d | %d | %d |%n", elapsedSeconds / 60,
                        elapsedSeconds % 60, receiver[0] == null ? "down" : "up", published, received,
                        procStatus(broker.pid(), "Threads:"), procStatus(broker.pid(), "VmRSS:") / 1024);
            }
            Thread.sleep(5);
        }
        client.disconnect().join();
        if (receiver[0] == null) {
            receiver[0] = startReceiver(endpointPort, 0);
        }
        final long total = published;
        final long[] received = {0};
        final long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            received[0] = receivedBefore + Long.parseLong(stats(endpointPort)[1]);
            if (received[0] >= total) {
                break;
            }
            Thread.sleep(200);
        }
        broker.destroy();
        broker.waitFor(60, TimeUnit.SECONDS);
        receiver[0].destroy();
        final Matcher stopped = STOPPED.matcher(Files.readString(home.resolve("broker.log")));
        System.out.printf(Locale.ROOT, "%npublished %d, received %d (a retry after a timeout may repeat one), plugin: %s%n",
                total, received[0], stopped.find() ? stopped.group() : "no stop line");
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
        for (final String broker : options.getOrDefault("brokers", "hivemq,moquette").split(",")) {
            double baseline = 0;
            for (final Scenario scenario : SCENARIOS) {
                System.err.printf("== %s: %s%n", broker, scenario.name);
                final Result result = runOnce(broker, scenario);
                if (scenario.webhook == null) {
                    baseline = result.publishRate;
                }
                rows.add(result.row(broker, scenario.name, baseline));
            }
        }
        printTable(rows);
    }

    /** What one run measured. */
    private static final class Result {
        double publishRate;
        double latencyP50Micros;
        double latencyP99Micros;
        long received;
        double deliveredRate;
        long dropped = -1;
        long failed = -1;
        long deliveryP50 = -1;
        long deliveryP99 = -1;
        double brokerCpuSeconds;
        long brokerPeakRssMb;
        double generatorCpuSeconds;
        int published;
        long publishStartNanos;

        String[] row(final String broker, final String scenario, final double baseline) {
            final boolean plugin = dropped >= 0;
            final long loss = plugin ? published - received - dropped - failed : 0;
            return new String[]{broker, scenario, String.format(Locale.ROOT, "%.0f", publishRate),
                    baseline > 0 ? String.format(Locale.ROOT, "%.2f", publishRate / baseline) : "",
                    String.format(Locale.ROOT, "%.0f", latencyP50Micros), String.format(Locale.ROOT, "%.0f", latencyP99Micros),
                    plugin ? String.format(Locale.ROOT, "%.0f", deliveredRate) : "-",
                    plugin ? Long.toString(Math.max(0, loss)) : "-", plugin ? Long.toString(dropped + failed) : "-",
                    plugin ? Long.toString(deliveryP50) : "-", plugin ? Long.toString(deliveryP99) : "-",
                    String.format(Locale.ROOT, "%.1f", brokerCpuSeconds), Long.toString(brokerPeakRssMb),
                    String.format(Locale.ROOT, "%.1f", generatorCpuSeconds)};
        }
    }

    private Result runOnce(final String broker, final Scenario scenario) throws Exception {
        final Path home = Files.createTempDirectory("mqtt-webhook-e2e");
        final int mqttPort = freePort();
        final int endpointPort = freePort();
        final Path webhookConf = home.resolve("webhook.conf");
        Files.writeString(webhookConf, "webhook {\n  url = \"http://127.0.0.1:" + endpointPort + "/hook\"\n"
                + (scenario.webhook == null ? "" : scenario.webhook)
                + "  events = [ { event = on_message_publish } ]\n}\n");
        Process receiver = scenario.webhook == null || scenario.endpointDownSeconds > 0 ? null
                : startReceiver(endpointPort, scenario.endpointDelayMillis);
        final Process brokerProcess = startBroker(broker, scenario.webhook != null, home, mqttPort, webhookConf);
        final Result result = new Result();
        result.published = messages;
        try {
            awaitPort(mqttPort);
            if (scenario.endpointDownSeconds > 0) {
                final Process[] started = new Process[1];
                final Thread later = new Thread(() -> {
                    try {
                        Thread.sleep(scenario.endpointDownSeconds * 1000L);
                        started[0] = startReceiver(endpointPort, 0);
                    } catch (final Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                later.start();
                measurePublishing(mqttPort, result);
                later.join();
                receiver = started[0];
            } else {
                measurePublishing(mqttPort, result);
            }
            if (receiver != null) {
                awaitDelivery(endpointPort, result);
            }
            final long[] cpuAndRss = brokerCpuAndRss(brokerProcess.pid());
            result.brokerCpuSeconds = cpuAndRss[0] / 100.0;
            result.brokerPeakRssMb = cpuAndRss[1] / 1024;
        } finally {
            brokerProcess.destroy();
            brokerProcess.waitFor(60, TimeUnit.SECONDS);
            final Matcher stopped = STOPPED.matcher(Files.readString(home.resolve("broker.log")));
            if (stopped.find()) {
                result.failed = Long.parseLong(stopped.group(3));
                result.dropped = Long.parseLong(stopped.group(4));
            }
            if (receiver != null) {
                receiver.destroy();
                receiver.waitFor(10, TimeUnit.SECONDS);
            }
        }
        return result;
    }

    private void measurePublishing(final int port, final Result result) throws Exception {
        final long cpuBefore = generatorCpuNanos();
        final int clients = 8;
        final byte[] payload = new byte[100];
        final List<Mqtt3AsyncClient> publishers = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            final Mqtt3AsyncClient client = MqttClient.builder().useMqttVersion3().identifier("bench-" + c)
                    .serverHost("127.0.0.1").serverPort(port).buildAsync();
            client.connect().join();
            publishers.add(client);
        }
        final long start = System.nanoTime();
        result.publishStartNanos = start;
        final List<CompletableFuture<?>> done = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            final Mqtt3AsyncClient client = publishers.get(c);
            final int count = messages / clients;
            final int id = c;
            done.add(CompletableFuture.runAsync(() -> {
                final Semaphore inFlight = new Semaphore(100);
                final List<CompletableFuture<?>> acks = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    inFlight.acquireUninterruptibly();
                    acks.add(client.publishWith().topic("bench/" + id + "/" + (i % 100)).qos(MqttQos.AT_LEAST_ONCE)
                            .payload(payload).send().whenComplete((ack, error) -> inFlight.release()));
                }
                CompletableFuture.allOf(acks.toArray(new CompletableFuture[0])).join();
            }));
        }
        CompletableFuture.allOf(done.toArray(new CompletableFuture[0])).join();
        result.publishRate = messages / ((System.nanoTime() - start) / 1e9);
        for (final Mqtt3AsyncClient client : publishers) {
            client.disconnect().join();
        }
        result.published = messages / clients * clients;

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
        result.generatorCpuSeconds = (generatorCpuNanos() - cpuBefore) / 1e9;
    }

    private static long generatorCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /** Waits until the receiver has every event or stops getting more for 5 s; records its figures. */
    private void awaitDelivery(final int endpointPort, final Result result) throws Exception {
        final long start = System.nanoTime();
        long last = -1;
        long lastChange = System.nanoTime();
        String[] stats;
        while (true) {
            stats = stats(endpointPort);
            final long events = Long.parseLong(stats[1]);
            if (events != last) {
                last = events;
                lastChange = System.nanoTime();
            }
            if (events >= result.published || System.nanoTime() - lastChange > TimeUnit.SECONDS.toNanos(5)
                    || System.nanoTime() - start > TimeUnit.SECONDS.toNanos(180)) {
                break;
            }
            Thread.sleep(50);
        }
        result.received = last;
        // from the first publish to the last event received
        result.deliveredRate = last / Math.max(1e-3, (lastChange - result.publishStartNanos) / 1e9);
        result.deliveryP50 = Long.parseLong(stats[2]);
        result.deliveryP99 = Long.parseLong(stats[3]);
    }

    private String[] stats(final int port) throws Exception {
        final HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/stats"))
                .build(), HttpResponse.BodyHandlers.ofString());
        return response.body().trim().split(" ");
    }

    private Process startReceiver(final int port, final long delayMillis) throws IOException, InterruptedException {
        final Process process = new ProcessBuilder(java(), "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                Receiver.class.getName(), Integer.toString(port), Long.toString(delayMillis), "256")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        awaitPort(port);
        return process;
    }

    private Process startBroker(final String broker, final boolean webhook, final Path home, final int port,
                                final Path webhookConf) throws IOException {
        final List<String> command = new ArrayList<>(List.of(java(), "-Xmx2g"));
        if (broker.equals("hivemq")) {
            command.addAll(List.of("-Dmqttwebhook.extension.folder=" + options.get("extension"),
                    "-cp", options.get("hivemq-cp"), "io.mqttwebhook.demo.HiveMqDemo", "--port=" + port,
                    webhook ? "--config=" + webhookConf : "--no-webhook"));
        } else {
            final Path config = Files.createDirectories(home.resolve("config"));
            Files.writeString(config.resolve("moquette.conf"), "host 127.0.0.1\nport " + port + "\n"
                    + "persistence_enabled false\ntelemetry_enabled false\nallow_anonymous true\n"
                    + (webhook ? "intercept.handler io.mqttwebhook.moquette.WebhookInterceptHandler\n" : ""));
            Files.copy(webhookConf, config.resolve("webhook.conf"));
            command.addAll(List.of("-Dorg.slf4j.simpleLogger.defaultLogLevel=info", "-cp",
                    options.get("moquette-lib") + File.separator + "*" + File.pathSeparator + options.get("moquette-jar"),
                    "io.moquette.broker.Server"));
        }
        return new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(home.resolve("broker.log").toFile()).start();
    }

    /** utime+stime in clock ticks, and the peak resident set (VmHWM) in KiB, of a process. */
    private static long[] brokerCpuAndRss(final long pid) throws IOException {
        final String stat = Files.readString(Paths.get("/proc/" + pid + "/stat"));
        final String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        final long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        long rss = 0;
        for (final String line : Files.readAllLines(Paths.get("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                rss = Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return new long[]{ticks, rss};
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

    private static void printTable(final List<String[]> rows) {
        final String[] header = {"broker", "scenario", "publish msg/s", "vs absent", "QoS1 p50 us", "QoS1 p99 us",
                "delivered ev/s", "lost", "dropped+failed", "delivery p50 ms", "delivery p99 ms", "broker CPU s",
                "broker peak RSS MB", "load gen CPU s"};
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
