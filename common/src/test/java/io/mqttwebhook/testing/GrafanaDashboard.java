package io.mqttwebhook.testing;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shipped Grafana dashboard, {@code docs/grafana/mqtt-webhook.json}, as a test reads it: its panels' PromQL
 * queries and its variables, and {@link #problemsAgainst(PrometheusText.Exposition)}, which checks every metric
 * name and {@code __name__} regex of every query against a real scrape, with the {@code endpoint} variable taking
 * each endpoint the scrape has. So the dashboard cannot name a series the plugin does not export.
 */
public final class GrafanaDashboard {

    /** Where the dashboard lives, relative to the repository root. */
    public static final String PATH = "docs/grafana/mqtt-webhook.json";
    private static final String PREFIX = "io_mqttwebhook_";
    private static final Pattern METRIC = Pattern.compile("(?<![a-zA-Z0-9_:\"$])" + PREFIX + "[a-zA-Z0-9_:]*");
    private static final Pattern NAME_REGEX = Pattern.compile("__name__\\s*=~\\s*\"([^\"]+)\"");
    private static final Pattern LABEL_MATCHER = Pattern.compile("\\{([^}]*)}");
    private static final Pattern EQUALS = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*=\\s*\"([^\"]*)\"");

    public final Path file;
    public final Map<String, Object> root;

    private GrafanaDashboard(final Path file, final Map<String, Object> root) {
        this.file = file;
        this.root = root;
    }

    /** Reads the dashboard, found from the working directory (a module's or the root) upwards. */
    public static GrafanaDashboard load() throws IOException {
        Path dir = Paths.get("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve(PATH))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException(PATH + " not found above " + Paths.get("").toAbsolutePath());
        }
        final Path file = dir.resolve(PATH);
        try (JsonParser parser = new JsonFactory().createParser(file.toFile())) {
            parser.nextToken();
            @SuppressWarnings("unchecked")
            final Map<String, Object> root = (Map<String, Object>) read(parser);
            return new GrafanaDashboard(file, root);
        }
    }

    private static Object read(final JsonParser parser) throws IOException {
        final JsonToken token = parser.currentToken();
        if (token == JsonToken.START_OBJECT) {
            final Map<String, Object> object = new LinkedHashMap<>();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                final String field = parser.currentName();
                parser.nextToken();
                if (object.put(field, read(parser)) != null) {
                    throw new IOException("duplicate field " + field + " at " + parser.currentLocation());
                }
            }
            return object;
        }
        if (token == JsonToken.START_ARRAY) {
            final List<Object> array = new ArrayList<>();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                array.add(read(parser));
            }
            return array;
        }
        if (token == JsonToken.VALUE_STRING) {
            return parser.getText();
        }
        if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
            return parser.getNumberValue();
        }
        if (token == JsonToken.VALUE_TRUE || token == JsonToken.VALUE_FALSE) {
            return parser.getBooleanValue();
        }
        return null;
    }

    /** Every panel, rows and the panels of collapsed rows included. */
    @SuppressWarnings("unchecked")
    public List<Map<String, Object>> panels() {
        final List<Map<String, Object>> panels = new ArrayList<>();
        for (final Object panel : (List<Object>) root.get("panels")) {
            final Map<String, Object> p = (Map<String, Object>) panel;
            panels.add(p);
            final Object nested = p.get("panels");
            if (nested instanceof List) {
                ((List<Object>) nested).forEach(n -> panels.add((Map<String, Object>) n));
            }
        }
        return panels;
    }

    /** One query of one panel. */
    public static final class Query {
        public final String panel;
        public final String expr;

        Query(final String panel, final String expr) {
            this.panel = panel;
            this.expr = expr;
        }

        @Override
        public String toString() {
            return panel + ": " + expr;
        }
    }

    /** Every PromQL query of every panel. */
    @SuppressWarnings("unchecked")
    public List<Query> queries() {
        final List<Query> queries = new ArrayList<>();
        for (final Map<String, Object> panel : panels()) {
            final Object targets = panel.get("targets");
            if (targets instanceof List) {
                for (final Object target : (List<Object>) targets) {
                    queries.add(new Query(String.valueOf(panel.get("title")), String.valueOf(((Map<String, Object>) target).get("expr"))));
                }
            }
        }
        return queries;
    }

    /** The dashboard variable of this name (templating.list[]). */
    @SuppressWarnings("unchecked")
    public Map<String, Object> variable(final String name) {
        for (final Object variable : (List<Object>) ((Map<String, Object>) root.get("templating")).get("list")) {
            if (name.equals(((Map<String, Object>) variable).get("name"))) {
                return (Map<String, Object>) variable;
            }
        }
        throw new AssertionError("no variable " + name + " in " + PATH);
    }

    /**
     * The values the {@code endpoint} variable takes on this scrape: its query {@code metrics(<regex>)} lists the
     * matching series names and its regex (a capture group) extracts each endpoint from them, as Grafana does.
     */
    public Set<String> endpoints(final PrometheusText.Exposition scrape) {
        final Map<String, Object> variable = variable("endpoint");
        final String definition = String.valueOf(variable.get("definition"));
        final Matcher query = Pattern.compile("metrics\\((.+)\\)").matcher(definition);
        if (!query.matches()) {
            throw new AssertionError("the endpoint variable is not metrics(<regex>): " + definition);
        }
        final Pattern names = Pattern.compile(query.group(1));
        final String regex = String.valueOf(variable.get("regex"));
        final Pattern extract = Pattern.compile(regex.substring(1, regex.length() - 1));
        final Set<String> endpoints = new TreeSet<>();
        for (final PrometheusText.Sample sample : scrape.samples) {
            if (names.matcher(sample.name).find()) {
                final Matcher m = extract.matcher(sample.name);
                if (m.find()) {
                    endpoints.add(m.group(1));
                }
            }
        }
        return endpoints;
    }

    /**
     * What in the queries the scrape does not have: a metric name no series has, a {@code __name__=~} regex no
     * series matches, a label value (quantile="0.99") no series of that name has. Empty when every query works.
     */
    public List<String> problemsAgainst(final PrometheusText.Exposition scrape) {
        final Set<String> names = new LinkedHashSet<>();
        scrape.samples.forEach(s -> names.add(s.name));
        final Set<String> endpoints = endpoints(scrape);
        final List<String> problems = new ArrayList<>();
        if (endpoints.isEmpty()) {
            problems.add("the endpoint variable finds no endpoint in the scrape");
        }
        for (final Query query : queries()) {
            for (final String endpoint : endpoints) {
                final String expr = query.expr.replace("${endpoint}", endpoint).replace("$endpoint", endpoint)
                        .replace("$__rate_interval", "1m").replace("$__interval", "1m").replace("$__range", "1h");
                problems.addAll(problems(query, expr, scrape, names));
            }
        }
        return problems;
    }

    private static List<String> problems(final Query query, final String expr, final PrometheusText.Exposition scrape,
                                         final Set<String> names) {
        final List<String> problems = new ArrayList<>();
        boolean refersToMetric = false;
        final Matcher metric = METRIC.matcher(expr);
        while (metric.find()) {
            refersToMetric = true;
            final String name = metric.group();
            if (!names.contains(name)) {
                problems.add(query.panel + ": " + name + " is not in the scrape (" + expr + ")");
                continue;
            }
            // label equality matchers right after the name must select a series of the scrape
            final String after = expr.substring(metric.end());
            final Matcher labels = LABEL_MATCHER.matcher(after);
            if (after.startsWith("{") && labels.lookingAt()) {
                final Matcher eq = EQUALS.matcher(labels.group(1));
                while (eq.find()) {
                    final String label = eq.group(1);
                    final String value = eq.group(2);
                    if (scrape.samples.stream().noneMatch(s -> s.name.equals(name) && value.equals(s.labels.get(label)))) {
                        problems.add(query.panel + ": " + name + " has no series with " + label + "=\"" + value + "\"");
                    }
                }
            }
        }
        final Matcher regex = NAME_REGEX.matcher(expr);
        while (regex.find()) {
            refersToMetric = true;
            // PromQL regexes are anchored
            final Pattern pattern = Pattern.compile("^(?:" + regex.group(1) + ")$");
            if (names.stream().noneMatch(n -> pattern.matcher(n).matches())) {
                problems.add(query.panel + ": __name__=~\"" + regex.group(1) + "\" matches no series of the scrape");
            }
        }
        if (!refersToMetric) {
            problems.add(query.panel + ": the query names no io_mqttwebhook_ metric: " + expr);
        }
        return problems;
    }
}
