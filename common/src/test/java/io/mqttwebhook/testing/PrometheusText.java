package io.mqttwebhook.testing;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.awaitility.Awaitility.await;

/**
 * A Prometheus scrape as a test reads it: an HTTP GET of {@code /metrics} with the {@code Accept} header Prometheus
 * sends, and the text (0.0.4) or OpenMetrics exposition parsed into samples, each with the type of its family.
 * {@link Exposition#shape(String)} is what a dashboard depends on (series names, types, label names), so two
 * expositions of the same metrics can be compared whatever their number formatting and order.
 */
public final class PrometheusText {

    /** What Prometheus 2 and 3 send by default: OpenMetrics first, then the classic text format. */
    public static final String PROMETHEUS_ACCEPT = "application/openmetrics-text;version=1.0.0,"
            + "application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    /** The classic text format only. */
    public static final String TEXT_ACCEPT = "text/plain;version=0.0.4";
    /** A Prometheus with native histograms on asks for protobuf first. */
    public static final String PROTOBUF_ACCEPT = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;"
            + "encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3";

    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    private PrometheusText() {
    }

    /** One HTTP answer of a metrics endpoint. */
    public static final class Scrape {
        public final int status;
        public final String contentType;
        public final byte[] body;

        Scrape(final int status, final String contentType, final byte[] body) {
            this.status = status;
            this.contentType = contentType;
            this.body = body;
        }

        public String text() {
            return new String(body, java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** GET {@code http://host:port/metrics} with this Accept header. */
    public static Scrape scrape(final String host, final int port, final String accept) throws IOException, InterruptedException {
        final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        final HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(
                        URI.create("http://" + host + ":" + port + "/metrics")).timeout(Duration.ofSeconds(10))
                .header("Accept", accept).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        return new Scrape(response.statusCode(), response.headers().firstValue("Content-Type").orElse(""), response.body());
    }

    /**
     * Waits (up to 20 s) until a scrape of 127.0.0.1:{@code port} in the text format shows each of {@code expected}
     * (metric name to value): what a Prometheus server would see once the traffic was delivered.
     */
    public static void awaitValues(final int port, final Map<String, Double> expected) {
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            final Exposition e = parse(scrape("127.0.0.1", port, TEXT_ACCEPT).text());
            return expected.entrySet().stream().allMatch(x -> x.getValue().equals(e.value(x.getKey())));
        });
    }

    /** One sample line. */
    public static final class Sample {
        public final String name;
        public final Map<String, String> labels;
        public final double value;
        /** The type of the family it belongs to (the {@code # TYPE} line before it), "untyped" without one. */
        public final String type;

        Sample(final String name, final Map<String, String> labels, final double value, final String type) {
            this.name = name;
            this.labels = labels;
            this.value = value;
            this.type = type;
        }
    }

    /** A parsed exposition. */
    public static final class Exposition {
        public final String text;
        public final List<Sample> samples;

        Exposition(final String text, final List<Sample> samples) {
            this.text = text;
            this.samples = Collections.unmodifiableList(samples);
        }

        /**
         * Every series whose name starts with {@code prefix}, with its family's type and its label names:
         * {@code io_mqttwebhook_endpoint_default_delivery_latency -> summary[quantile]}.
         */
        public SortedMap<String, String> shape(final String prefix) {
            final SortedMap<String, String> shape = new TreeMap<>();
            for (final Sample sample : samples) {
                if (sample.name.startsWith(prefix)) {
                    shape.merge(sample.name, sample.type + new TreeSet<>(sample.labels.keySet()),
                            (a, b) -> a.length() >= b.length() ? a : b);
                }
            }
            return shape;
        }

        /** The value of the series with this name and labels ({@code "quantile", "0.99"}, ...), or null. */
        public Double value(final String name, final String... labels) {
            final Map<String, String> wanted = new LinkedHashMap<>();
            for (int i = 0; i + 1 < labels.length; i += 2) {
                wanted.put(labels[i], labels[i + 1]);
            }
            for (final Sample sample : samples) {
                if (sample.name.equals(name) && sample.labels.equals(wanted)) {
                    return sample.value;
                }
            }
            return null;
        }

        /** The lines of the exposition (TYPE and samples) of these families, in its order: for docs. */
        public List<String> lines(final String... families) {
            final List<String> lines = new ArrayList<>();
            for (final String line : text.split("\n")) {
                for (final String family : families) {
                    if (line.startsWith("# TYPE " + family + " ") || line.startsWith(family + " ")
                            || line.startsWith(family + "{") || line.startsWith(family + "_count ")) {
                        lines.add(line);
                        break;
                    }
                }
            }
            return lines;
        }
    }

    /** Parses the text (0.0.4) or OpenMetrics format. */
    public static Exposition parse(final String text) {
        final List<Sample> samples = new ArrayList<>();
        String type = "untyped";
        for (final String raw : text.split("\n")) {
            final String line = raw.trim();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                final String[] parts = line.split(" ", 4);
                if (parts.length >= 4 && parts[1].equals("TYPE")) {
                    type = parts[3].trim();
                }
                continue;
            }
            final int brace = line.indexOf('{');
            final int space = line.indexOf(' ');
            final String name;
            final Map<String, String> labels = new TreeMap<>();
            final String rest;
            if (brace >= 0 && brace < space) {
                name = line.substring(0, brace);
                final int close = line.lastIndexOf('}');
                final Matcher m = LABEL.matcher(line.substring(brace + 1, close));
                while (m.find()) {
                    labels.put(m.group(1), m.group(2));
                }
                rest = line.substring(close + 1).trim();
            } else {
                name = line.substring(0, space);
                rest = line.substring(space + 1).trim();
            }
            samples.add(new Sample(name, labels, Double.parseDouble(rest.split(" ")[0]), type));
        }
        return new Exposition(text, samples);
    }

    /**
     * The shape the exporters of both brokers must give the Dropwizard metrics of {@code registry} whose names start
     * with {@code dropwizardPrefix} (the mapping of HiveMQ's Prometheus extension, simpleclient_dropwizard 0.16):
     * dots and dashes become underscores; a meter is a counter {@code <name>_total}; a timer or histogram is a
     * summary {@code <name>{quantile}} with {@code <name>_count}; a gauge is a gauge. A Dropwizard {@link Counter}
     * has no single answer (0.16 makes it a gauge, the 1.x client a counter): it is reported as such.
     */
    public static SortedMap<String, String> expectedShape(final MetricRegistry registry, final String dropwizardPrefix) {
        final SortedMap<String, String> shape = new TreeMap<>();
        for (final Map.Entry<String, Metric> entry : registry.getMetrics().entrySet()) {
            if (!entry.getKey().startsWith(dropwizardPrefix)) {
                continue;
            }
            final String name = entry.getKey().replaceAll("[^a-zA-Z0-9_:]", "_");
            final Metric metric = entry.getValue();
            if (metric instanceof Meter) {
                shape.put(name + "_total", "counter[]");
            } else if (metric instanceof Timer || metric instanceof Histogram) {
                shape.put(name, "summary[quantile]");
                shape.put(name + "_count", "summary[]");
            } else if (metric instanceof Gauge) {
                shape.put(name, "gauge[]");
            } else {
                shape.put(name, "a " + metric.getClass().getSimpleName() + ", which the two exporters map differently");
            }
        }
        return shape;
    }
}
