package io.mqttwebhook.command;

import io.mqttwebhook.delivery.DiskEventQueue;
import io.mqttwebhook.event.EventBodies;
import io.mqttwebhook.event.EventCodec;
import io.mqttwebhook.event.PayloadEncoding;
import io.mqttwebhook.event.WebhookEvent;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code java -jar mqtt-webhook-check.jar queue <queue.dir> [--peek N]}: what waits in a disk queue: how many
 * events, their bytes, the oldest's age, counts per event and per client id (top 10), and the first bodies.
 * It reads a copy of the file, opened read-only, so it works while a broker holds the original and never
 * changes it (a copy caught in the middle of a commit is taken again). Exit status: 0 read, 1 not readable,
 * 2 usage.
 */
public final class QueueCommand {

    public static final int OK = 0;
    public static final int UNREADABLE = 1;
    public static final int USAGE = 2;
    private static final int TOP_CLIENTS = 10;
    private static final int COPY_ATTEMPTS = 5;

    private QueueCommand() {
    }

    /** Runs the command with {@code args} (those after {@code queue}); returns the exit status. */
    public static int run(final String[] args, final PrintStream out, final PrintStream err) {
        Path path = null;
        int peek = 0;
        PayloadEncoding encoding = PayloadEncoding.PLAIN;
        for (int i = 0; i < args.length; i++) {
            final String arg = args[i];
            if ((arg.equals("--peek") || arg.equals("--encoding")) && i + 1 < args.length) {
                final String value = args[++i];
                if (arg.equals("--peek")) {
                    try {
                        peek = Integer.parseInt(value);
                    } catch (final NumberFormatException e) {
                        peek = -1;
                    }
                    if (peek < 0) {
                        return usage(err, "--peek " + value + " must be a number of events, 0 or more");
                    }
                } else {
                    final Optional<PayloadEncoding> chosen = PayloadEncoding.fromConfigName(value);
                    if (chosen.isEmpty()) {
                        return usage(err, "--encoding " + value + " is not one of plain, base64, base62");
                    }
                    encoding = chosen.get();
                }
            } else if (!arg.startsWith("--") && path == null) {
                path = Paths.get(arg);
            } else {
                return usage(err, "unexpected " + arg);
            }
        }
        if (path == null) {
            return usage(err, "which queue? give its queue.dir (or the queue.mv.db file)");
        }
        final Path file = Files.isDirectory(path) ? path.resolve(DiskEventQueue.FILE) : path;
        if (!Files.isRegularFile(file)) {
            err.println("queue: no queue file at " + file);
            return UNREADABLE;
        }
        try {
            return inspect(file, peek, encoding, out);
        } catch (final IOException | RuntimeException e) {
            err.println("queue: cannot read " + file + ": " + e);
            return UNREADABLE;
        }
    }

    private static int usage(final PrintStream err, final String problem) {
        err.println("queue: " + problem);
        err.println("usage: java -jar mqtt-webhook-check.jar queue <queue.dir or queue.mv.db> [--peek N]"
                + " [--encoding plain|base64|base62]");
        return USAGE;
    }

    private static int inspect(final Path file, final int peek, final PayloadEncoding encoding, final PrintStream out)
            throws IOException {
        final Path copy = Files.createTempFile("mqtt-webhook-queue-", ".mv.db");
        try {
            final long fileBytes = copyWhole(file, copy);
            final MVStore store = openCopy(file, copy);
            try {
                report(file, fileBytes, store, peek, encoding, out);
            } finally {
                store.close();
            }
        } finally {
            Files.deleteIfExists(copy);
        }
        return OK;
    }

    private static long copyWhole(final Path file, final Path copy) throws IOException {
        Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
        return Files.size(copy);
    }

    /**
     * Opens the copy read-only; a copy taken while the broker was writing a commit may not open, and is taken
     * again. The original is only ever read.
     */
    private static MVStore openCopy(final Path file, final Path copy) throws IOException {
        RuntimeException last = null;
        for (int attempt = 0; attempt < COPY_ATTEMPTS; attempt++) {
            if (attempt > 0) {
                copyWhole(file, copy);
            }
            try {
                return new MVStore.Builder().fileName(copy.toString()).readOnly().open();
            } catch (final RuntimeException e) {
                last = e;
            }
        }
        throw last;
    }

    private static void report(final Path file, final long fileBytes, final MVStore store, final int peek,
                               final PayloadEncoding encoding, final PrintStream out) {
        out.println("queue " + file + " (read from a copy of " + fileBytes + " bytes; the file is not changed)");
        if (!store.hasMap(DiskEventQueue.EVENTS)) {
            out.println("  events:     0 (no event was ever stored)");
            return;
        }
        final MVMap<Long, byte[]> events = store.openMap(DiskEventQueue.EVENTS);
        final String idPrefix = store.hasMap(DiskEventQueue.META)
                ? store.<String, String>openMap(DiskEventQueue.META).get(DiskEventQueue.ID_PREFIX) : null;
        long count = 0;
        long bytes = 0;
        long unreadable = 0;
        long oldest = Long.MAX_VALUE;
        long newest = 0;
        final Map<String, Long> byEvent = new TreeMap<>();
        final Map<String, Long> byClient = new HashMap<>();
        final List<String> peeked = new ArrayList<>();
        final EventBodies bodies = new EventBodies(encoding);
        for (final Map.Entry<Long, byte[]> entry : events.entrySet()) {
            count++;
            bytes += entry.getValue().length;
            final WebhookEvent event;
            try {
                event = EventCodec.decode(entry.getValue());
            } catch (final IllegalArgumentException damaged) {
                unreadable++;
                continue;
            }
            oldest = Math.min(oldest, event.createdMillis());
            newest = Math.max(newest, event.createdMillis());
            byEvent.merge(event.type().configName(), 1L, Long::sum);
            byClient.merge(event.clientId(), 1L, Long::sum);
            if (peeked.size() < peek) {
                final String id = idPrefix == null ? "key " + entry.getKey() : idPrefix + Long.toString(entry.getKey(), 36);
                peeked.add(id + "  " + new String(bodies.single(event), StandardCharsets.UTF_8));
            }
        }
        out.println("  events:     " + count + " waiting or in delivery, " + bytes + " bytes of records"
                + (unreadable > 0 ? ", " + unreadable + " unreadable" : ""));
        if (count == unreadable) {
            return;
        }
        final long now = System.currentTimeMillis();
        out.println("  oldest:     " + Instant.ofEpochMilli(oldest) + " (" + age(now - oldest) + " ago)");
        out.println("  newest:     " + Instant.ofEpochMilli(newest) + " (" + age(now - newest) + " ago)");
        out.println("  by event:   " + join(byEvent));
        final List<Map.Entry<String, Long>> clients = new ArrayList<>(byClient.entrySet());
        clients.sort((a, b) -> b.getValue().equals(a.getValue()) ? a.getKey().compareTo(b.getKey())
                : Long.compare(b.getValue(), a.getValue()));
        out.println("  by client:  " + clients.size() + " client id(s)" + (clients.size() > TOP_CLIENTS
                ? ", the top " + TOP_CLIENTS : ""));
        for (int i = 0; i < Math.min(TOP_CLIENTS, clients.size()); i++) {
            out.println(String.format(Locale.ROOT, "              %-24s %d", quoted(clients.get(i).getKey()),
                    clients.get(i).getValue()));
        }
        if (!peeked.isEmpty()) {
            out.println("  the oldest " + peeked.size() + " (webhook-id, body in " + encoding.configName() + "):");
            for (final String line : peeked) {
                out.println("    " + line);
            }
        }
    }

    private static String join(final Map<String, Long> counts) {
        final StringBuilder text = new StringBuilder();
        counts.forEach((name, n) -> text.append(text.length() == 0 ? "" : ", ").append(name).append(' ').append(n));
        return text.toString();
    }

    /** A client id as it can be read: empty and odd ones quoted. */
    private static String quoted(final String clientId) {
        return clientId.isEmpty() || !clientId.matches("[\\x21-\\x7e]+") ? "\"" + clientId.replace("\"", "\\\"") + "\""
                : clientId;
    }

    static String age(final long millis) {
        final Duration d = Duration.ofMillis(Math.max(0, millis));
        if (d.toHours() > 0) {
            return d.toHours() + "h " + d.toMinutesPart() + "m";
        }
        if (d.toMinutes() > 0) {
            return d.toMinutes() + "m " + d.toSecondsPart() + "s";
        }
        return d.toSeconds() + "." + (d.toMillisPart() / 100) + "s";
    }
}
