package io.mqttwebhook.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The keys the loader accepts, the keys docs/configuration.md documents and the keys the shipped example file
 * shows are the same set, so that none of them can drift from the others again.
 */
class DocsKeysTest {

    private static final Path ROOT = Paths.get("..");
    private static final Path DOCS = ROOT.resolve("docs/configuration.md");
    private static final Path EXAMPLE = ROOT.resolve("hivemq-extension/src/hivemq-extension/conf/webhook.conf");
    /** Accepted under another name, documented beside it, not repeated in the example. */
    private static final Set<String> ALIASES = Set.of("cancel_time");
    private static final Pattern TABLE_KEY = Pattern.compile("`([a-z_][a-z0-9_.]*)`");
    /** A commented line of configuration, not of prose: a key followed by =, { or [, or a closing brace. */
    private static final Pattern COMMENTED_CONFIG =
            Pattern.compile("^(\\s*)#\\s?(\\s*(?:[a-z_][a-z0-9_.-]*\\s*(?:=|\\{|\\[).*|[}\\]].*|\\{ event.*))$");

    private static Set<String> accepted() {
        final Set<String> keys = new TreeSet<>(ConfigLoader.ENDPOINT_KEYS);
        keys.addAll(ConfigLoader.WEBHOOK_KEYS);
        keys.add("headers");
        keys.add("endpoints");
        return keys;
    }

    /** Every key in the first column of the tables of docs/configuration.md. */
    private static Set<String> documented() throws IOException {
        final Set<String> keys = new TreeSet<>();
        for (final String line : Files.readAllLines(DOCS, StandardCharsets.UTF_8)) {
            if (!line.startsWith("| `")) {
                continue;
            }
            final String firstCell = line.substring(1, line.indexOf('|', 1));
            final Matcher m = TABLE_KEY.matcher(firstCell);
            while (m.find()) {
                final String key = m.group(1);
                keys.add(key.startsWith("headers.") ? "headers" : key);
            }
            if (firstCell.contains("`headers")) {
                keys.add("headers");
            }
        }
        keys.add("endpoints"); // a section of its own, not a table row
        return keys;
    }

    /** Every key the example sets or shows commented out, read as HOCON. */
    private static Set<String> inExample() throws IOException {
        final StringBuilder uncommented = new StringBuilder();
        for (final String line : Files.readAllLines(EXAMPLE, StandardCharsets.UTF_8)) {
            final Matcher m = COMMENTED_CONFIG.matcher(line);
            uncommented.append(m.matches() ? m.group(1) + m.group(2) : line).append('\n');
        }
        final Config webhook = ConfigFactory.parseString(uncommented.toString()).getConfig("webhook");
        final Set<String> keys = new TreeSet<>();
        for (final Map.Entry<String, ConfigValue> entry : webhook.entrySet()) {
            final String key = entry.getKey();
            keys.add(key.startsWith("headers.") ? "headers" : key.startsWith("endpoints.") ? "endpoints" : key);
        }
        return keys;
    }

    @Test
    void everyAcceptedKeyIsDocumentedAndEveryDocumentedKeyIsAccepted() throws IOException {
        assertThat(documented()).containsExactlyInAnyOrderElementsOf(accepted());
    }

    @Test
    void theShippedExampleShowsEveryKeyAndLoads() throws IOException {
        final Set<String> expected = new HashSet<>(accepted());
        expected.removeAll(ALIASES);
        assertThat(inExample()).containsExactlyInAnyOrderElementsOf(expected);
        final LoadResult result = ConfigLoader.load(EXAMPLE);
        assertThat(result.warnings()).isEmpty();
        assertThat(result.config()).isPresent();
    }
}
