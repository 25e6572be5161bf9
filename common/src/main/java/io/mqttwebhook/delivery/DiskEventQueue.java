package io.mqttwebhook.delivery;

import io.mqttwebhook.config.QueueOverflow;
import io.mqttwebhook.event.EventBodies;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PayloadEncoding;
import io.mqttwebhook.event.WebhookEvent;
import io.mqttwebhook.metrics.WebhookMetrics;
import io.mqttwebhook.metrics.WebhookMetrics.DropCause;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@code queue.type = disk}: events wait in an H2 MVStore file in {@code queue.dir} until the endpoint has
 * accepted them, across endpoint outages and broker restarts or crashes (at-least-once). A broker thread
 * only puts the event into a small in-memory hand-off; a writer thread serializes it (its JSON body, in
 * the encoding in force) and stores it, committing every {@code queue.sync_interval}: what was offered
 * before the last commit survives a crash. Events taken for delivery stay in the file until they are
 * settled, so a crash mid-request delivers them again. A file that cannot be opened is moved aside and a
 * new one started, never a crash loop.
 */
public final class DiskEventQueue implements EventQueue {

    private static final Logger LOG = LoggerFactory.getLogger(DiskEventQueue.class);
    private static final int HANDOFF = 10_000;
    private static final String FILE = "queue.mv.db";

    private final ArrayBlockingQueue<WebhookEvent> handoff = new ArrayBlockingQueue<>(HANDOFF);
    private final QueueOverflow overflow;
    private final long maxBytes;
    private final long syncNanos;
    private final EventBodies bodies;
    private final WebhookMetrics metrics;
    private final MVStore store;
    private final MVMap<Long, byte[]> events;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition stored = lock.newCondition();
    private final Thread writer;
    private volatile boolean closing;
    // guarded by lock
    private long nextKey;
    private long cursor = -1;
    private long bytes;
    private int taken;

    public DiskEventQueue(final Path dir, final long maxBytes, final QueueOverflow overflow, final Duration sync,
                          final PayloadEncoding encoding, final WebhookMetrics metrics) {
        this.overflow = overflow;
        this.maxBytes = maxBytes;
        this.syncNanos = Math.max(1, sync.toNanos());
        this.bodies = new EventBodies(encoding);
        this.metrics = metrics;
        this.store = open(dir);
        this.events = store.openMap("events");
        final Long last = events.lastKey();
        this.nextKey = last == null ? 0 : last + 1;
        for (final byte[] record : events.values()) {
            bytes += record.length;
        }
        if (!events.isEmpty()) {
            LOG.info("mqtt-webhook: {} event(s) from before the restart wait in {} and are delivered first",
                    events.size(), dir.resolve(FILE));
        }
        this.writer = new Thread(this::write, "mqtt-webhook-disk-writer");
        writer.setDaemon(true);
        writer.start();
    }

    private static MVStore open(final Path dir) {
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

    @Override
    public void offer(final WebhookEvent event) {
        if (closing || !handoff.offer(event)) {
            // the writer cannot keep up with the disk (or the queue is stopping): never block the broker
            metrics.dropped(DropCause.QUEUE_FULL, 1);
        }
    }

    /** The writer: stores handed-off events, commits every sync interval, applies the byte cap. */
    private void write() {
        long lastCommit = System.nanoTime();
        final List<WebhookEvent> batch = new ArrayList<>(256);
        while (true) {
            try {
                final WebhookEvent first = handoff.poll(Math.max(1, syncNanos / 2), TimeUnit.NANOSECONDS);
                if (first != null) {
                    batch.add(first);
                    handoff.drainTo(batch, 255);
                    storeAll(batch);
                    batch.clear();
                }
                if (System.nanoTime() - lastCommit >= syncNanos) {
                    store.commit();
                    lastCommit = System.nanoTime();
                }
                if (closing && handoff.isEmpty()) {
                    store.commit();
                    return;
                }
            } catch (final InterruptedException e) {
                store.commit();
                return;
            } catch (final RuntimeException e) {
                LOG.error("mqtt-webhook: cannot write to the disk queue; events are dropped", e);
                metrics.dropped(DropCause.QUEUE_FULL, batch.size());
                batch.clear();
            }
        }
    }

    private void storeAll(final List<WebhookEvent> batch) {
        lock.lock();
        try {
            for (final WebhookEvent event : batch) {
                final byte[] record = encode(event);
                while (bytes + record.length > maxBytes && overflow == QueueOverflow.DROP_OLDEST && dropOldest()) {
                    // room made
                }
                if (bytes + record.length > maxBytes) {
                    metrics.dropped(DropCause.QUEUE_FULL, 1);
                    continue;
                }
                events.put(nextKey++, record);
                bytes += record.length;
            }
            stored.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Drops the oldest event not yet taken for delivery; false when there is none. */
    private boolean dropOldest() {
        final Long oldest = events.higherKey(cursor);
        if (oldest == null) {
            return false;
        }
        bytes -= events.remove(oldest).length;
        metrics.dropped(DropCause.QUEUE_FULL, 1);
        return true;
    }

    private byte[] encode(final WebhookEvent event) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (DataOutputStream data = new DataOutputStream(out)) {
            data.writeByte(event.type().ordinal());
            data.writeLong(event.createdMillis());
            data.writeUTF(event.clientId());
            data.writeUTF(event.topic() == null ? "" : event.topic());
            final byte[] body = bodies.single(event);
            data.writeInt(body.length);
            data.write(body);
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static StoredEvent decode(final long key, final byte[] record) {
        try (DataInputStream data = new DataInputStream(new java.io.ByteArrayInputStream(record))) {
            final EventType type = EventType.values()[data.readUnsignedByte()];
            final long created = data.readLong();
            final String clientId = data.readUTF();
            final String topic = data.readUTF();
            final byte[] body = new byte[data.readInt()];
            data.readFully(body);
            return new StoredEvent(key, record.length, type, clientId, topic.isEmpty() && !type.hasTopic() ? null : topic,
                    new String(body, StandardCharsets.UTF_8), created);
        } catch (final IOException e) {
            throw new UncheckedIOException("damaged queue record " + key, e);
        }
    }

    @Override
    public List<WebhookEvent> poll(final int max, final long firstWaitNanos, final long lingerNanos)
            throws InterruptedException {
        final List<WebhookEvent> batch = new ArrayList<>(Math.min(max, 64));
        final long firstDeadline = System.nanoTime() + firstWaitNanos;
        lock.lock();
        try {
            while (events.higherKey(cursor) == null) {
                final long left = firstDeadline - System.nanoTime();
                if (left <= 0) {
                    return batch;
                }
                stored.awaitNanos(left);
            }
            final long lingerDeadline = System.nanoTime() + lingerNanos;
            while (batch.size() < max) {
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
                if (record == null) {
                    continue;
                }
                try {
                    batch.add(decode(key, record));
                    taken++;
                } catch (final RuntimeException damaged) {
                    LOG.error("mqtt-webhook: queue record {} cannot be read and is removed", key, damaged);
                    bytes -= events.remove(key).length;
                }
            }
            return batch;
        } finally {
            lock.unlock();
        }
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
                        taken--;
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int size() {
        lock.lock();
        try {
            if (store.isClosed()) {
                return 0;
            }
            return events.size() - taken + handoff.size();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public WebhookEvent peek() {
        lock.lock();
        try {
            if (store.isClosed()) {
                return null;
            }
            final Long key = events.higherKey(cursor);
            return key == null ? handoff.peek() : decode(key, events.get(key));
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

    /** Stores what is still handed off, commits, and closes the file. */
    @Override
    public void close() {
        closing = true;
        try {
            writer.join(TimeUnit.SECONDS.toMillis(10));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        store.close();
    }
}
