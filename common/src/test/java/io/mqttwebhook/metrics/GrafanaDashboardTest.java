package io.mqttwebhook.metrics;

import io.mqttwebhook.testing.GrafanaDashboard;
import io.mqttwebhook.testing.PrometheusText;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped dashboard is an importable Grafana JSON model (a Prometheus datasource variable that every panel and
 * query uses, unique panel ids, a 24-column grid, one row repeated per endpoint), and the checker the broker tests
 * run against real scrapes finds what a broken query would miss. Those tests ({@code MoquettePrometheusTest},
 * {@code HiveMqPrometheusIT}) are the ones that hold the dashboard to the exported names.
 */
class GrafanaDashboardTest {

    @Test
    @SuppressWarnings("unchecked")
    void isAnImportableDashboardOnAPrometheusDatasourceVariable() throws Exception {
        final GrafanaDashboard dashboard = GrafanaDashboard.load();
        assertThat(dashboard.root).containsEntry("uid", "mqtt-webhook").containsEntry("title", "mqtt-webhook")
                .containsKeys("schemaVersion", "panels", "templating", "time");
        assertThat(dashboard.root.get("id")).isNull();
        assertThat(dashboard.variable("datasource")).containsEntry("type", "datasource").containsEntry("query", "prometheus");
        assertThat(dashboard.variable("endpoint")).containsEntry("type", "query").containsEntry("multi", true);
        final Set<Object> ids = new HashSet<>();
        int repeated = 0;
        for (final Map<String, Object> panel : dashboard.panels()) {
            assertThat(ids.add(panel.get("id"))).as("unique id %s", panel.get("id")).isTrue();
            final Map<String, Object> grid = (Map<String, Object>) panel.get("gridPos");
            assertThat(((Number) grid.get("x")).intValue() + ((Number) grid.get("w")).intValue()).isLessThanOrEqualTo(24);
            if ("row".equals(panel.get("type"))) {
                repeated += "endpoint".equals(panel.get("repeat")) ? 1 : 0;
                continue;
            }
            assertThat((Map<String, Object>) panel.get("datasource")).as(String.valueOf(panel.get("title")))
                    .containsEntry("type", "prometheus").containsEntry("uid", "${datasource}");
            final List<Object> targets = (List<Object>) panel.get("targets");
            assertThat(targets).as(String.valueOf(panel.get("title"))).isNotEmpty();
            for (final Object target : targets) {
                assertThat((Map<String, Object>) ((Map<String, Object>) target).get("datasource"))
                        .containsEntry("uid", "${datasource}");
            }
        }
        assertThat(repeated).isEqualTo(1);
        assertThat(dashboard.queries()).extracting(q -> q.panel).contains("Dropped /s by cause",
                "Delivery latency p50 / p99 (event to 2xx)", "Queue depth", "Oldest queued event age", "Endpoint up",
                "Circuit state", "Events matched by event type /s");
    }

    @Test
    void theCheckerReportsNamesLabelValuesAndRegexesTheScrapeLacks() throws Exception {
        final GrafanaDashboard dashboard = GrafanaDashboard.load();
        // a scrape where the endpoint variable finds "a" but almost nothing the queries need exists
        final PrometheusText.Exposition scrape = PrometheusText.parse("# TYPE io_mqttwebhook_endpoint_a_up gauge\n"
                + "io_mqttwebhook_endpoint_a_up 1.0\n"
                + "# TYPE io_mqttwebhook_endpoint_a_delivery_latency summary\n"
                + "io_mqttwebhook_endpoint_a_delivery_latency{quantile=\"0.5\",} 0.01\n");
        assertThat(dashboard.endpoints(scrape)).containsExactly("a");
        final List<String> problems = dashboard.problemsAgainst(scrape);
        assertThat(problems).contains(
                "Events /s: matched, delivered, failed, dropped: io_mqttwebhook_endpoint_a_matched_total is not in the"
                        + " scrape (rate(io_mqttwebhook_endpoint_a_matched_total[1m]))",
                "Delivery latency p50 / p99 (event to 2xx): io_mqttwebhook_endpoint_a_delivery_latency has no series"
                        + " with quantile=\"0.99\"",
                "Events matched by event type /s: __name__=~\"io_mqttwebhook_matched_.+_total\" matches no series of the scrape");
        assertThat(problems).noneMatch(p -> p.contains("quantile=\"0.5\"")).noneMatch(p -> p.startsWith("Endpoint up:"));
    }
}
