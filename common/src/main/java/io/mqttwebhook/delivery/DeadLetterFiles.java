package io.mqttwebhook.delivery;

import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * How dead letters lie on disk, for the writer and the replay command: in a folder, files named
 * {@code <endpoint>.<UTC time the file was started>.jsonl} (so several endpoints can share a folder, and names
 * sort oldest first), one {@link DeadLetter} per line; beside a file, {@code <file>.replayed} lists the
 * {@link DeadLetter#replayId()} of every line a replay delivered, one per line, so that a second replay skips
 * them. Deleting a file deletes its {@code .replayed} too.
 */
public final class DeadLetterFiles {

    public static final String SUFFIX = ".jsonl";
    public static final String REPLAYED = ".replayed";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'")
            .withZone(ZoneOffset.UTC);

    private DeadLetterFiles() {
    }

    /** The name of a new file of {@code endpoint}'s started at {@code millis}. */
    static String fileName(final String endpoint, final long millis) {
        return endpoint + "." + STAMP.format(Instant.ofEpochMilli(millis)) + SUFFIX;
    }

    /** Whether {@code file} holds dead letters of {@code endpoint} (endpoint names have no dots). */
    static boolean ownedBy(final Path file, final String endpoint) {
        final String name = file.getFileName().toString();
        return name.startsWith(endpoint + ".") && name.endsWith(SUFFIX);
    }

    /**
     * The dead-letter files at {@code path}, oldest first: the file itself, or every {@code *.jsonl} of a folder.
     */
    public static List<Path> files(final Path path) throws IOException {
        if (!Files.isDirectory(path)) {
            return List.of(path);
        }
        final List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(path, "*" + SUFFIX)) {
            for (final Path file : stream) {
                if (Files.isRegularFile(file)) {
                    files.add(file);
                }
            }
        }
        // the time in the name orders one endpoint's files; the endpoint name groups them
        Collections.sort(files);
        return files;
    }

    /** The file that lists what a replay delivered of {@code file}. */
    public static Path replayed(final Path file) {
        return file.resolveSibling(file.getFileName() + REPLAYED);
    }

    /** The replay ids already delivered from {@code file}. */
    public static Set<String> readReplayed(final Path file) throws IOException {
        final Path marks = replayed(file);
        final Set<String> ids = new HashSet<>();
        if (!Files.exists(marks)) {
            return ids;
        }
        try (BufferedReader in = Files.newBufferedReader(marks, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isBlank()) {
                    ids.add(line.trim());
                }
            }
        }
        return ids;
    }

    /** Complete lines (ending with a newline) in {@code file}: a line being written is not counted. */
    static long countLines(final Path file) throws IOException {
        long lines = 0;
        final byte[] buffer = new byte[64 * 1024];
        // a plain stream, not a channel: the writer thread's interrupt status must not close it
        try (InputStream in = new FileInputStream(file.toFile())) {
            int read;
            while ((read = in.read(buffer)) > 0) {
                for (int i = 0; i < read; i++) {
                    if (buffer[i] == '\n') {
                        lines++;
                    }
                }
            }
        }
        return lines;
    }

    /** The complete lines of {@code file}, in order (a last line without its newline is still being written). */
    public static List<String> lines(final Path file) throws IOException {
        final byte[] bytes = Files.readAllBytes(file);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') {
            end--;
        }
        final List<String> lines = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(
                new java.io.ByteArrayInputStream(bytes, 0, end), StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.isBlank()) {
                    lines.add(line);
                }
            }
        }
        return lines;
    }
}
