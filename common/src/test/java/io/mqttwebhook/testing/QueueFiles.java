package io.mqttwebhook.testing;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Reads what a disk queue file holds as a crash would leave it: a copy of the file (the original stays
 * with the running webhook), opened read-only at its last commit. Tests wait on this, not on time, before
 * they kill a JVM: what the copy holds is what a restart will find.
 */
public final class QueueFiles {

    private QueueFiles() {
    }

    /** Events committed in {@code dir}'s queue file; throws while the copy caught a half-written commit. */
    public static int committedEvents(final Path dir) {
        final Path file = dir.resolve("queue.mv.db");
        if (!Files.exists(file)) {
            return 0;
        }
        try {
            final Path copy = Files.createTempFile("queue-copy", ".mv.db");
            try {
                Files.copy(file, copy, StandardCopyOption.REPLACE_EXISTING);
                final MVStore store = new MVStore.Builder().fileName(copy.toString()).readOnly().open();
                try {
                    final MVMap<Long, byte[]> events = store.openMap("events");
                    return events.size();
                } finally {
                    store.close();
                }
            } finally {
                Files.deleteIfExists(copy);
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
