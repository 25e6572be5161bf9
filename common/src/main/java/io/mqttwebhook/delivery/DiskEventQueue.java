package io.mqttwebhook.delivery;

import io.mqttwebhook.config.QueueOverflow;
import io.mqttwebhook.event.EventCodec;
import io.mqttwebhook.event.WebhookEvent;
import io.mqttwebhook.metrics.DeadLetterCause;
import io.mqttwebhook.metrics.EndpointMetrics;
import io.mqttwebhook.metrics.WebhookMetrics.DropCause;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code queue.type = disk}: events wait in an H2 MVStore file in {@code queue.dir} until the endpoint has
 * accepted them, across endpoint outages and broker restarts or crashes (at-least-once). A broker thread only
 * puts the event into an in-memory hand-off; a writer thread encodes what happened ({@link EventCodec}: the
 * body is written when it is sent, in the encoding in force then) and stores it under the next key, committing
 * every {@code queue.sync_interval}: what was offered before the last commit survives a crash. The key gives
 * the event its {@code webhook-id}, the same after a restart. Events taken for delivery stay in the file until
 * they are settled, so a crash mid-request delivers them again, with the same id. A file that cannot be opened
 * is moved aside and a new one started, never a crash loop. Events it drops (overflow, a file that cannot be
 * written) go to the endpoint's {@link DeadLetters}, by hand-off.
 */
public final class DiskEventQueue implements EventQueue {

    private static final Logger LOG = LoggerFactory.getLogger(DiskEventQueue.class);
    /** The name of the queue file in queue.dir. */
    public static final String FILE = "queue.mv.db";
    /** The name of the map of events in the file (key: arrival order, value: {@link EventCodec} record). */
    public static final String EVENTS = "events";
    /** The name of the map of the file's own facts: the id prefix. */
    public static final String META = "meta";
    public static final String ID_PREFIX = "id_prefix";
    private static final int HANDOFF = 10_000;
    private static final int WRITE_BATCH = 256;
    private static final long ERROR_LOG_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final Path dir;
    private final ArrayBlockingQueue<WebhookEvent> handoff = new ArrayBlockingQueue<>(HANDOFF);
    /** Wakes the writer only when it sleeps: while events flow it takes them every tick. */
    private final Wakeup wakeup = new Wakeup();
    private final QueueOverflow overflow;
    private final long maxBytes;
    private final long syncNanos;
    private final EndpointMetrics metrics;
    private final DeadLetters deadLetters;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition stored = lock.newCondition();
    // set by open(); peek() may come first
    @SuppressWarnings("NullAway.Init")
    private volatile MVStore store;
    @SuppressWarnings("NullAway.Init")
    private MVMap<Long, byte[]> events;
    @SuppressWarnings("NullAway.Init")
    private String idPrefix;
    @SuppressWarnings("NullAway.Init")
    private Thread writer;
    private volatile boolean closing;
    /** The file could not be opened: nothing can be kept, every event is counted dropped.disk_error. */
    private volatile boolean failed;
    /** Events in the file not yet taken for delivery; read without the lock. */
    private volatile int waiting;
    // guarded by lock
    private long nextKey;
    private long cursor = -1;
    private long bytes;
    // writer thread only
    private long commitErrors;
    private long lastErrorLogNanos;

    public DiskEventQueue(final Path dir, final long maxBytes, final QueueOverflow overflow, final Duration sync,
                          final EndpointMetrics metrics, final DeadLetters deadLetters) {
        this.dir = dir;
        this.deadLetters = deadLetters;
        this.overflow = overflow;
        this.maxBytes = maxBytes;
        this.syncNanos = Math.max(1, sync.toNanos());
        this.metrics = metrics;
    }

    /** Opens (or creates) the file and starts the writer; events offered before wait in the hand-off. */
    @Override
    public long open() {
        final MVStore opened = openStore(dir);
        final MVMap<Long, byte[]> map = opened.openMap(EVENTS);
        final MVMap<String, String> meta = opened.openMap(META);
        String prefix = meta.get(ID_PREFIX);
        if (prefix == null) {
            final byte[] random = new byte[9];
            new SecureRandom().nextBytes(random);
            prefix = "msg_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random) + "_";
            meta.put(ID_PREFIX, prefix);
            opened.commit();
        }
        long found = 0;
        long size = 0;
        for (final byte[] record : map.values()) {
            size += record.length;
            found++;
        }
        lock.lock();
        try {
            this.events = map;
            this.idPrefix = prefix;
            final Long last = map.lastKey();
            this.nextKey = last == null ? 0 : last + 1;
            this.bytes = size;
            this.waiting = (int) found;
            this.store = opened;
        } finally {
            lock.unlock();
        }
        if (found > 0) {
            LOG.info("mqtt-webhook: {} event(s) from before the restart wait in {} and are delivered first", found,
                    dir.resolve(FILE));
        }
        writer = new Thread(this::write, "mqtt-webhook-disk-writer");
        writer.setDaemon(true);
        writer.start();
        return found;
    }

    private static MVStore openStore(final Path dir) {
        final Path file = dir.resolve(FILE);
        try {
            Files.createDirectories(dir);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot create queue.dir " + dir, e);
        }
        try {
            return new MVStore.Builder().fileName(file.toString()).autoCommitDisabled().open();
        } catch (final RuntimeException damaged) {
            final Path aside = dir.resolve(FILE + ".damaged-" + System.currentTimeMillis());
            LOG.error("mqtt-webhook: the queue file {} cannot be read ({}); it is moved to {} and a new one is"
                    + " started", file, damaged.getMessage(), aside);
            try {
                Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
            } catch (final IOException e) {
                throw new UncheckedIOException("cannot move the damaged queue file " + file + " aside", e);
            }
            return new MVStore.Builder().fileName(file.toString()).autoCommitDisabled().open();
        }
    }

    /**
     * The file cannot be opened at all (not even a new one after moving the old aside): events offered from
     * now on, and those waiting in the hand-off, are counted dropped.disk_error.
     */
    void failed(final RuntimeException cause) {
        failed = true;
        final List<WebhookEvent> lost = new ArrayList<>();
        handoff.drainTo(lost);
        metrics.dropped(DropCause.DISK_ERROR, lost.size());
        deadLetters.events(DeadLetterCause.DISK_ERROR, lost);
        LOG.error("mqtt-webhook: the disk queue in {} cannot be opened; events of this endpoint are dropped and counted"
                + " (dropped.disk_error) until the broker restarts with a usable queue.dir: {}", dir, cause.toString());
    }

    @Override
    public void offer(final WebhookEvent event) {
        if (failed) {
            metrics.dropped(DropCause.DISK_ERROR, 1);
            deadLetters.event(DeadLetterCause.DISK_ERROR, event);
        } else if (handoff.offer(event)) {
            wakeup.signal();
        } else {
            // the writer cannot keep up with the disk: never block the broker
            metrics.dropped(DropCause.QUEUE_FULL, 1);
            deadLetters.event(DeadLetterCause.QUEUE_FULL, event);
        }
    }

    /** The writer: stores handed-off events, commits every sync interval, applies the byte cap. */
    private void write() {
        long lastCommit = System.nanoTime();
        final List<WebhookEvent> batch = new ArrayList<>(WRITE_BATCH);
        final List<byte[]> records = new ArrayList<>(WRITE_BATCH);
        boolean flowing = false;
        while (true) {
            try {
                WebhookEvent first = handoff.poll();
                if (first == null && flowing) {
                    Wakeup.pause(Wakeup.TICK_NANOS);
                    first = handoff.poll();
                }
                if (first == null && !closing) {
                    wakeup.await(Math.max(1, syncNanos / 2), () -> closing || !handoff.isEmpty());
                    first = handoff.poll();
                }
                flowing = first != null;
                if (first != null) {
                    batch.add(first);
                    handoff.drainTo(batch, WRITE_BATCH - 1);
                    for (final WebhookEvent event : batch) {
                        records.add(EventCodec.encode(event)); // outside the lock the delivery threads take
                    }
                    storeAll(batch, records);
                    batch.clear();
                    records.clear();
                }
                final boolean last = closing && handoff.isEmpty();
                if (last || System.nanoTime() - lastCommit >= syncNanos) {
                    commit();
                    lastCommit = System.nanoTime();
                }
                if (last) {
                    return;
                }
            } catch (final InterruptedException e) {
                commit();
                return;
            } catch (final RuntimeException e) {
                // an encoding failure: nothing of this batch was stored
                dropped(batch, e);
                batch.clear();
                records.clear();
            }
        }
    }

    private void storeAll(final List<WebhookEvent> batch, final List<byte[]> records) {
        final List<WebhookEvent> failed = new ArrayList<>(0);
        final List<WebhookEvent> full = new ArrayList<>(0);
        final List<Long> oldestKeys = new ArrayList<>(0);
        final List<byte[]> oldestRecords = new ArrayList<>(0);
        @Nullable RuntimeException failure = null;
        lock.lock();
        try {
            for (int i = 0; i < records.size(); i++) {
                final byte[] record = records.get(i);
                while (bytes + record.length > maxBytes && overflow == QueueOverflow.DROP_OLDEST
                        && dropOldest(oldestKeys, oldestRecords)) {
                    // room made
                }
                if (bytes + record.length > maxBytes) {
                    metrics.dropped(DropCause.QUEUE_FULL, 1);
                    full.add(batch.get(i));
                    continue;
                }
                try {
                    events.put(nextKey, record);
                    nextKey++;
                    bytes += record.length;
                    waiting++;
                } catch (final RuntimeException e) {
                    failed.add(batch.get(i));
                    failure = e;
                }
            }
            stored.signalAll();
        } finally {
            lock.unlock();
        }
        deadLetters.events(DeadLetterCause.QUEUE_FULL, full);
        // decoded outside the lock that delivery threads take
        for (int i = 0; i < oldestKeys.size(); i++) {
            final long key = oldestKeys.get(i);
            try {
                deadLetters.event(DeadLetterCause.QUEUE_FULL,
                        new StoredEvent(key, idPrefix + Long.toString(key, 36), EventCodec.decode(oldestRecords.get(i))));
            } catch (final RuntimeException damaged) {
                LOG.debug("mqtt-webhook: dropped queue record {} cannot be read for its dead letter", key, damaged);
                deadLetters.unreadable(1);
            }
        }
        if (!failed.isEmpty()) {
            dropped(failed, failure);
        }
    }

    /** Events that could not be stored: counted under their own cause, logged at most every 10 s. */
    private void dropped(final List<WebhookEvent> lost, final @Nullable RuntimeException cause) {
        metrics.dropped(DropCause.DISK_ERROR, lost.size());
        deadLetters.events(DeadLetterCause.DISK_ERROR, lost);
        logThrottled("cannot write to the disk queue in " + dir + "; " + lost.size() + " event(s) dropped (counted as"
                + " dropped.disk_error)", cause);
    }

    private void commit() {
        try {
            store.commit();
        } catch (final RuntimeException e) {
            commitErrors++;
            logThrottled("cannot commit the disk queue in " + dir + " (" + commitErrors + " failed commit(s) so far;"
                    + " what is not committed is lost if the broker crashes)", e);
        }
    }

    private void logThrottled(final String message, final @Nullable RuntimeException cause) {
        final long now = System.nanoTime();
        if (lastErrorLogNanos == 0 || now - lastErrorLogNanos >= ERROR_LOG_NANOS) {
            lastErrorLogNanos = now;
            LOG.error("mqtt-webhook: {}: {}", message, String.valueOf(cause));
        }
    }

    /** Drops the oldest event not yet taken for delivery, collecting it; false when there is none. */
    private boolean dropOldest(final List<Long> keys, final List<byte[]> records) {
        final Long oldest = events.higherKey(cursor);
        if (oldest == null) {
            return false;
        }
        final byte[] record = events.remove(oldest);
        bytes -= record.length;
        waiting--;
        metrics.dropped(DropCause.QUEUE_FULL, 1);
        keys.add(oldest);
        records.add(record);
        return true;
    }

    @Override
    public List<WebhookEvent> poll(final int max, final long firstWaitNanos, final long lingerNanos)
            throws InterruptedException {
        final List<Long> keys = new ArrayList<>(Math.min(max, 64));
        final List<byte[]> records = new ArrayList<>(Math.min(max, 64));
        final long firstDeadline = System.nanoTime() + firstWaitNanos;
        lock.lock();
        try {
            if (store == null) {
                return List.of(); // not open yet: delivery has not started
            }
            while (events.higherKey(cursor) == null) {
                final long left = firstDeadline - System.nanoTime();
                if (left <= 0) {
                    return List.of();
                }
                stored.awaitNanos(left);
            }
            final long lingerDeadline = System.nanoTime() + lingerNanos;
            while (keys.size() < max) {
                final Long key = events.higherKey(cursor);
                if (key == null) {
                    final long left = lingerDeadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    stored.awaitNanos(left);
                    continue;
                }
                cursor = key;
                final byte[] record = events.get(key);
                if (record != null) {
                    keys.add(key);
                    records.add(record);
                    waiting--;
                }
            }
        } finally {
            lock.unlock();
        }
        // decoded outside the lock
        final List<WebhookEvent> batch = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            final long key = keys.get(i);
            try {
                batch.add(new StoredEvent(key, idPrefix + Long.toString(key, 36), EventCodec.decode(records.get(i))));
            } catch (final RuntimeException damaged) {
                LOG.error("mqtt-webhook: queue record {} in {} cannot be read and is removed: {}", key, dir,
                        damaged.getMessage());
                removeDamaged(key);
            }
        }
        return batch;
    }

    private void removeDamaged(final long key) {
        lock.lock();
        try {
            final byte[] removed = events.remove(key);
            if (removed != null) {
                bytes -= removed.length;
            }
        } finally {
            lock.unlock();
        }
        metrics.dropped(DropCause.DISK_ERROR, 1);
        deadLetters.unreadable(1);
    }

    @Override
    public void settled(final List<WebhookEvent> settled) {
        lock.lock();
        try {
            for (final WebhookEvent event : settled) {
                if (event instanceof StoredEvent) {
                    final byte[] removed = events.remove(((StoredEvent) event).key);
                    if (removed != null) {
                        bytes -= removed.length;
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int size() {
        return waiting + handoff.size();
    }

    @Override
    public @Nullable WebhookEvent peek() {
        lock.lock();
        try {
            if (store == null || store.isClosed()) {
                return handoff.peek();
            }
            final Long key = events.higherKey(cursor);
            final byte[] record = key == null ? null : events.get(key);
            if (key == null || record == null) {
                return handoff.peek();
            }
            return new StoredEvent(key, idPrefix + Long.toString(key, 36), EventCodec.decode(record));
        } catch (final RuntimeException damaged) {
            return null;
        } finally {
            lock.unlock();
        }
    }

    /** Nothing is removed at stop: what waits stays in the file for the next start. */
    @Override
    public List<WebhookEvent> drainAll() {
        return List.of();
    }

    @Override
    public boolean durable() {
        return true;
    }

    /**
     * Stores what is still handed off, commits, waits for the writer to end and closes the file; returns the
     * events kept for the next start. A writer stuck on the disk keeps the file open rather than closing it
     * under its feet.
     */
    @Override
    public long close() {
        closing = true;
        wakeup.signal();
        final Thread running = writer;
        if (running != null) {
            try {
                running.join(TimeUnit.SECONDS.toMillis(30));
            } catch (final InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (running.isAlive()) {
                LOG.error("mqtt-webhook: the disk queue writer for {} did not finish within 30 s; the file is left open",
                        dir);
                return events.size();
            }
        }
        final MVStore open = store;
        if (open == null) {
            final List<WebhookEvent> lost = new ArrayList<>();
            handoff.drainTo(lost);
            if (!lost.isEmpty()) {
                metrics.dropped(DropCause.DISK_ERROR, lost.size());
                deadLetters.events(DeadLetterCause.DISK_ERROR, lost);
            }
            return 0;
        }
        final long kept = events.size();
        open.close();
        return kept;
    }
}
