package io.mqttwebhook.testing;

import io.mqttwebhook.delivery.DeadLetter;
import io.mqttwebhook.delivery.DeadLetterFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads dead letters back as a test checks them. */
public final class DeadLetterDirs {

    private DeadLetterDirs() {
    }

    /** Every dead letter in the folder's files, oldest file first; none when the folder does not exist yet. */
    public static List<DeadLetter> read(final Path dir) {
        final List<DeadLetter> letters = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return letters;
        }
        try {
            for (final Path file : DeadLetterFiles.files(dir)) {
                for (final String line : DeadLetterFiles.lines(file)) {
                    letters.add(DeadLetter.parse(line));
                }
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return letters;
    }
}
