package io.mqttwebhook.bench;

import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.data.category.DefaultCategoryDataset;

import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Draws the tables of an end-to-end run as PNG charts: publish rate with and without the plugin per scenario,
 * events offered and delivered at a fixed rate, and CPU per delivered event.
 *
 * <p>Reads the Markdown tables {@link EndToEnd} prints (a file of its standard output) and finds each by its
 * columns, so that a table missing from a partial run ({@code --parts=...}) just draws no chart.
 * Usage: {@code Charts <tables.md> <output folder>}.
 */
public final class Charts {

    private static final Pattern NUMBER = Pattern.compile("-?[0-9][0-9 ,]*(\\.[0-9]+)?");
    private static final Color WITH = new Color(0x1f77b4);
    private static final Color WITHOUT = new Color(0xb0b0b0);

    private Charts() {
    }

    public static void main(final String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: Charts <tables.md> <output folder>");
            System.exit(2);
        }
        final List<Table> tables = Table.parse(Files.readAllLines(Path.of(args[0])));
        final Path out = Files.createDirectories(Path.of(args[1]));
        final List<Path> written = new ArrayList<>();
        draw(tables, new Spec("QoS 1 publish rate at saturation, with and without the plugin", "messages/s",
                        new String[]{"broker", "client", "scenario"},
                        new String[]{"publish msg/s", "absent msg/s"}, new String[]{"with the plugin", "without"},
                        row -> true),
                out.resolve("publish-rate.png"), written);
        draw(tables, new Spec("QoS 0 at a fixed rate (warm, memory queue, batch 1): events offered and delivered",
                        "events/s", new String[]{"broker", "client", "offered msg/s|%s msg/s"},
                        new String[]{"delivered ev/s", "offered msg/s"}, new String[]{"delivered", "offered"},
                        row -> row.is("JVM", "warm") && row.is("queue", "memory") && row.is("batch", "1")),
                out.resolve("delivered.png"), written);
        draw(tables, new Spec("Broker CPU the plugin adds per delivered event, QoS 0 at 20 000 msg/s",
                        "µs per event (median of the rounds)", new String[]{"broker", "client", "queue|%s queue", "batch|batch %s", "JVM"},
                        new String[]{"plugin CPU µs/event"}, new String[]{"plugin CPU"},
                        row -> row.is("offered msg/s", "20000")),
                out.resolve("cpu-per-event.png"), written);
        written.forEach(file -> System.out.println("chart: " + file));
    }

    /**
     * What to draw from the first table that has every label and value column; a label column may carry a format
     * for its value ({@code "batch|batch %s"}).
     */
    record Spec(String title, String axis, String[] labelColumns, String[] valueColumns, String[] seriesNames,
                Predicate<Row> rows) {
    }

    /** One row of a table, by column name. */
    record Row(List<String> header, List<String> cells) {
        String get(final String column) {
            final int i = header.indexOf(column);
            return i < 0 ? "" : cells.get(i);
        }

        boolean is(final String column, final String value) {
            return get(column).equals(value);
        }
    }

    private static void draw(final List<Table> tables, final Spec spec, final Path file, final List<Path> written)
            throws IOException {
        for (final Table table : tables) {
            if (table.header.containsAll(Arrays.stream(spec.labelColumns).map(c -> c.split("\\|")[0]).toList())
                    && table.header.containsAll(Arrays.asList(spec.valueColumns))) {
                final DefaultCategoryDataset data = dataset(table, spec);
                if (data.getColumnCount() == 0) {
                    return;
                }
                final int height = 120 + 26 * data.getColumnCount() * Math.max(1, data.getRowCount());
                ChartUtils.saveChartAsPNG(file.toFile(), chart(spec, data), 900, Math.min(height, 2400));
                written.add(file);
                return;
            }
        }
    }

    /** One category per label (its label columns joined), one series per value column; the median of rounds. */
    static DefaultCategoryDataset dataset(final Table table, final Spec spec) {
        final Map<String, Map<String, List<Double>>> values = new LinkedHashMap<>();
        for (final List<String> cells : table.rows) {
            final Row row = new Row(table.header, cells);
            if (!spec.rows.test(row)) {
                continue;
            }
            final StringJoiner label = new StringJoiner(", ");
            for (final String column : spec.labelColumns) {
                final String[] nameAndFormat = column.split("\\|", 2);
                final String value = row.get(nameAndFormat[0]);
                if (!value.isBlank() && !value.equals("-")) {
                    label.add(nameAndFormat.length == 1 ? value : String.format(nameAndFormat[1], value));
                }
            }
            for (int s = 0; s < spec.valueColumns.length; s++) {
                final double value = number(row.get(spec.valueColumns[s]));
                if (!Double.isNaN(value) && value >= 0) {
                    values.computeIfAbsent(label.toString(), k -> new LinkedHashMap<>())
                            .computeIfAbsent(spec.seriesNames[s], k -> new ArrayList<>()).add(value);
                }
            }
        }
        final DefaultCategoryDataset data = new DefaultCategoryDataset();
        values.forEach((label, series) -> series.forEach((name, rounds) -> data.addValue(median(rounds), name, label)));
        return data;
    }

    private static double median(final List<Double> values) {
        final List<Double> sorted = new ArrayList<>(values);
        sorted.sort(null);
        final int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** Horizontal bars, the plugin's series in blue, the broker without it in grey. */
    private static JFreeChart chart(final Spec spec, final DefaultCategoryDataset data) {
        final JFreeChart chart = ChartFactory.createBarChart(spec.title, null, spec.axis, data,
                PlotOrientation.HORIZONTAL, spec.valueColumns.length > 1, false, false);
        chart.setBackgroundPaint(Color.WHITE);
        chart.getTitle().setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        final CategoryPlot plot = chart.getCategoryPlot();
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        final CategoryAxis categories = plot.getDomainAxis();
        categories.setMaximumCategoryLabelLines(2);
        categories.setMaximumCategoryLabelWidthRatio(0.4f);
        final BarRenderer renderer = (BarRenderer) plot.getRenderer();
        renderer.setBarPainter(new StandardBarPainter());
        renderer.setShadowVisible(false);
        renderer.setItemMargin(0.02);
        renderer.setSeriesPaint(0, WITH);
        renderer.setSeriesPaint(1, WITHOUT);
        return chart;
    }

    /** The first number in a cell ("17 512", "0.8 (±3 %)", "12,5" is not a number here); NaN when none. */
    static double number(final String cell) {
        final Matcher m = NUMBER.matcher(cell);
        if (!m.find()) {
            return Double.NaN;
        }
        return Double.parseDouble(m.group().replace(" ", "").replace(",", ""));
    }

    /** A Markdown table: its header cells and rows of cells. */
    static final class Table {
        final List<String> header;
        final List<List<String>> rows = new ArrayList<>();

        private Table(final List<String> header) {
            this.header = header;
        }

        static List<Table> parse(final List<String> lines) {
            final List<Table> tables = new ArrayList<>();
            Table current = null;
            for (final String line : lines) {
                final String trimmed = line.trim();
                if (!trimmed.startsWith("|")) {
                    current = null;
                    continue;
                }
                final List<String> cells = cells(trimmed);
                if (current == null) {
                    current = new Table(cells);
                    tables.add(current);
                } else if (!cells.stream().allMatch(c -> c.matches(":?-+:?"))
                        && cells.size() == current.header.size()) {
                    current.rows.add(cells);
                }
            }
            return tables;
        }

        private static List<String> cells(final String line) {
            final String inner = line.substring(1, line.endsWith("|") ? line.length() - 1 : line.length());
            final List<String> cells = new ArrayList<>();
            for (final String cell : inner.split("\\|", -1)) {
                cells.add(cell.trim());
            }
            return cells;
        }
    }
}
