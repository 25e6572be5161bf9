package io.mqttwebhook.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Every configuration example in the README and docs/ loads as written: no error, no warning. */
class DocsExamplesTest {

    private static final Path ROOT = Paths.get("..");

    /** The fenced blocks that are configuration: they start with {@code webhook}. */
    private static List<String> examples(final Path file) throws IOException {
        final List<String> blocks = new ArrayList<>();
        StringBuilder block = null;
        for (final String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (line.startsWith("```")) {
                if (block != null) {
                    if (block.toString().trim().startsWith("webhook")) {
                        blocks.add(block.toString());
                    }
                    block = null;
                } else {
                    block = new StringBuilder();
                }
            } else if (block != null) {
                block.append(line).append('\n');
            }
        }
        return blocks;
    }

    @Test
    void everyConfigurationExampleLoadsWithoutAWarning(@TempDir final Path dir) throws IOException {
        final List<Path> files = new ArrayList<>();
        files.add(ROOT.resolve("README.md"));
        try (DirectoryStream<Path> docs = Files.newDirectoryStream(ROOT.resolve("docs"), "*.md")) {
            docs.forEach(files::add);
        }
        int checked = 0;
        for (final Path file : files) {
            for (final String example : examples(file)) {
                // the examples' folders, somewhere this test may write
                final String text = example.replace("/var/lib/mqtt-webhook", dir.toString());
                final LoadResult result = ConfigLoader.parse(text, file.getFileName().toString());
                assertThat(result.warnings()).as(file + ":\n" + example).isEmpty();
                assertThat(result.config()).as(file + ":\n" + example).isPresent();
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(6);
    }
}
