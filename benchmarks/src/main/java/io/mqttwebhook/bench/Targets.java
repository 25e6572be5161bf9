package io.mqttwebhook.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The targets of issue 11 for one broker, with what the run measured before (the first {@code --clients}
 * entry, {@code apache}: the sender main had) and after (the last, {@code nio}), and whether the after figure
 * meets each. Figures a run did not measure (a part left out) show as "-".
 */
final class Targets {

    private final String broker;
    private final String before;
    private final String after;
    private final boolean hivemq;
    private final Map<String, Map<String, String>> figures = new HashMap<>();
    private final Map<String, Double> numbers = new HashMap<>();

    Targets(final String broker, final String before, final String after) {
        this.broker = broker;
        this.before = before;
        this.after = after;
        this.hivemq = broker.equals("hivemq");
    }

    /** A figure as shown, and the number it is judged by. */
    void put(final String what, final String client, final String shown, final double number) {
        figures.computeIfAbsent(what, k -> new HashMap<>()).put(client, shown);
        numbers.put(what + "/" + client, number);
    }

    private String shown(final String what, final String client) {
        return figures.getOrDefault(what, Map.of()).getOrDefault(client, "-");
    }

    private Double number(final String what, final String client) {
        return numbers.get(what + "/" + client);
    }

    static String f0(final double value) {
        return String.format(Locale.ROOT, "%.0f", value);
    }

    static String f1(final double value) {
        return String.format(Locale.ROOT, "%.1f", value);
    }

    static String f2(final double value) {
        return String.format(Locale.ROOT, "%.2f", value);
    }

    /** The table rows: target, goal, before, after, met. */
    List<String[]> rows() {
        final List<String[]> rows = new ArrayList<>();
        row(rows, "keep up", "QoS 0 at 20 000 msg/s, batch 1, pool 32, warm: dropped / delivered ev/s",
                "0 / ≥ 19 500", after -> {
                    final Double dropped = number("keep up", after);
                    final Double rate = number("keep up rate", after);
                    return dropped == null || rate == null ? null : dropped == 0 && rate >= 19_500;
                });
        row(rows, "keep up cold", "the same, broker JVM started under the load (cold)", "reported", null);
        row(rows, "best rate", "highest fixed QoS 0 rate with 0 dropped (batch 1)", "30 000",
                after -> judge(number("best rate", after), v -> v >= 30_000));
        final double cpu1 = hivemq ? 30 : 20;
        final double cpu100 = hivemq ? 12 : 3;
        row(rows, "cpu 1", "CPU per delivered event, batch 1, at 20 000 msg/s: (broker CPU with − without) / events",
                "≤ " + f0(cpu1) + " µs", after -> judge(number("cpu 1", after), v -> v <= cpu1));
        row(rows, "cpu 100", "the same with batches of 100", "≤ " + f0(cpu100) + " µs",
                after -> judge(number("cpu 100", after), v -> v <= cpu100));
        row(rows, "floor", "for reference: a publish rule that matches no topic (the broker shows every publish to"
                + " the plugin, which matches nothing)", "reported", null);
        final double saturation = hivemq ? 0.80 : 0.90;
        row(rows, "saturation 1", "QoS 1 at max rate, every message hooked, batch 1: msg/s vs without the plugin",
                "≥ " + f2(saturation), after -> judge(number("saturation 1", after), v -> v >= saturation));
        if (hivemq) {
            row(rows, "saturation 100", "the same with batches of 100 (endpoint-down row: match + enqueue only)",
                    "within 0.05 of the endpoint-down row", after -> {
                        final Double ratio = number("saturation 100", after);
                        final Double down = number("saturation down", after);
                        return ratio == null || down == null ? null : ratio >= down - 0.05;
                    });
        } else {
            row(rows, "saturation 100", "the same with batches of 100", "≥ 0.95",
                    after -> judge(number("saturation 100", after), v -> v >= 0.95));
        }
        row(rows, "latency", "QoS 1 at 10 000 msg/s: p99 publish latency with the plugin / without", "≤ 1.20",
                after -> judge(number("latency", after), v -> v <= 1.2));
        row(rows, "latency floor", "for reference: the same with a publish rule that matches no topic", "reported",
                null);
        for (final String second : List.of("hanging", "down")) {
            final String key = "isolation: second endpoint " + second;
            row(rows, key, "a second endpoint " + (second.equals("hanging") ? "that accepts and never answers"
                    : "with nothing listening") + ", wanting every publish too: the healthy endpoint's delivered"
                    + " ev/s, the broker's QoS 1 publish rate, p99 publish and delivery latency vs the healthy"
                    + " endpoint alone (saturation, batch 1)", "rates ≥ 0.90", after -> {
                        final Double delivered = number(key, after);
                        final Double publish = number(key + " publish", after);
                        return delivered == null || publish == null ? null : delivered >= 0.9 && publish >= 0.9;
                    });
        }
        row(rows, "disk dropped", "queue.type = disk, QoS 1 at max rate, batch 1: dropped / stored ev/s", "0",
                after -> judge(number("disk dropped", after), v -> v == 0));
        row(rows, "disk delivered", "disk queue: delivered ev/s vs the memory queue in the same scenario", "≈ 1.00",
                after -> judge(number("disk delivered", after), v -> v >= 0.9));
        row(rows, "disk fixed", "disk queue, QoS 0 at 20 000 msg/s: dropped / delivered ev/s", "0 / ≥ 19 500",
                after -> {
                    final Double dropped = number("disk fixed", after);
                    final Double rate = number("disk fixed rate", after);
                    return dropped == null || rate == null ? null : dropped == 0 && rate >= 19_500;
                });
        row(rows, "disk bytes", "disk queue: bytes per stored event in the file (100 B payloads)", "reported", null);
        return rows;
    }

    private interface Judge {
        Boolean met(String client);
    }

    private interface Check {
        boolean ok(double value);
    }

    private static Boolean judge(final Double value, final Check check) {
        return value == null ? null : check.ok(value);
    }

    private void row(final List<String[]> rows, final String key, final String target, final String goal,
                     final Judge judge) {
        final Boolean met = judge == null ? null : judge.met(after);
        rows.add(new String[]{broker, target, goal, before.equals(after) ? "-" : shown(key, before), shown(key, after),
                judge == null ? "-" : met == null ? "not measured" : met ? "yes" : "**no**"});
    }

    static String[] header(final String before, final String after) {
        return new String[]{"broker", "target", "goal", "before (" + before + ")", "after (" + after + ")", "met"};
    }
}
