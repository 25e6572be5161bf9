package io.mqttwebhook.config;

import io.mqttwebhook.testing.CheckCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/operations.md documents exactly the dead-letter and rate-limit keys the loader accepts, and its check
 * output is what the check command prints for the page's own example.
 */
class OperationsDocTest {

    private static final Path DOC = Paths.get("..", "docs", "operations.md");
    private static final Pattern KEY = Pattern.compile("`((?:dead_letter|rate_limit)(?:\\.[a-z_]+)?)");

    @Test
    void everyAcceptedKeyIsDocumentedAndEveryDocumentedKeyAccepted() throws IOException {
        final String doc = Files.readString(DOC);
        final Set<String> accepted = new TreeSet<>();
        for (final String key : ConfigLoader.ENDPOINT_KEYS) {
            if (key.startsWith("dead_letter") || key.startsWith("rate_limit")) {
                accepted.add(key);
            }
        }
        // the first column of the key tables: the dead-letter one and the rate_limit one
        final String keyTables = section(doc, "### Keys (per endpoint", "### ") + section(doc, "## rate_limit", "## ");
        final Set<String> documented = new TreeSet<>();
        for (final String line : keyTables.split("\n")) {
            if (line.startsWith("| `")) {
                final Matcher m = KEY.matcher(line.substring(1, line.indexOf('|', 1)));
                while (m.find()) {
                    documented.add(m.group(1));
                }
            }
        }
        assertThat(documented).isEqualTo(accepted);
    }

    @Test
    void theCheckOutputShownIsWhatTheCheckPrintsForThePagesExample(@TempDir final Path dir) throws IOException {
        final String doc = Files.readString(DOC);
        final String example = fencedBlock(doc, doc.indexOf("```"));
        final int commandLine = doc.indexOf("$ java -jar mqtt-webhook-check.jar webhook.conf");
        final String shown = fencedBlock(doc, doc.lastIndexOf("```", commandLine));
        final Path file = dir.resolve("webhook.conf");
        Files.writeString(file, example);
        final CheckCommand command = new CheckCommand();
        assertThat(command.run(file.toString())).isEqualTo(ConfigCheck.OK);
        final String printed = command.out().replace(file.toString(), "webhook.conf");
        assertThat("$ java -jar mqtt-webhook-check.jar webhook.conf\n" + printed).isEqualTo(shown);
    }

    /** The text inside the fenced block whose opening fence is at {@code fence}. */
    private static String fencedBlock(final String doc, final int fence) {
        assertThat(fence).isNotNegative();
        final int start = doc.indexOf('\n', fence) + 1;
        return doc.substring(start, doc.indexOf("```", start));
    }

    private static String section(final String doc, final String heading, final String next) {
        final int start = doc.indexOf(heading);
        assertThat(start).as(heading).isNotNegative();
        final int end = doc.indexOf("\n" + next, start + heading.length());
        return end < 0 ? doc.substring(start) : doc.substring(start, end);
    }
}
