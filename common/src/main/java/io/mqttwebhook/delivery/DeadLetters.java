package io.mqttwebhook.delivery;

import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.event.EventBodies;
import io.mqttwebhook.event.EventCodec;
import io.mqttwebhook.event.WebhookEvent;
import io.mqttwebhook.metrics.DeadLetterCause;
import io.mqttwebhook.metrics.DeadLetterMetrics;
import io.mqttwebhook.metrics.EndpointMetrics;
import io.mqttwebhook.request.RequestTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An endpoint's dead letters: every event it gives up (refused, retries exhausted, queue full, left at a stop or
 * a removal, a disk error) is appended to a file in {@code dead_letter.dir} as one {@link DeadLetter} line, so
 * that an operator learns which events, not only how many, and can replay them. Whoever gives an event up (a
 * broker thread for a full memory queue, the HTTP client's I/O thread, the timer, the disk writer) only hands it
 * to a bounded queue and never waits: when that is full (or the writer has stopped) the event is counted
 * {@code dead_letter.missed}.
 * One writer thread per endpoint writes each request in the endpoint's configuration in force at that moment
 * (body encoding, properties and template: the request it would have been sent as), appends, starts a new file at a tenth of {@code dead_letter.max_bytes}
 * and deletes the oldest files beyond it ({@code dead_letter.rotated_out} counts their lines not replayed). A
 * write that fails is counted {@code dead_letter.write_failed} and logged at most every 10 s. Nothing of the
 * endpoint's headers or signing secret is written.
 */
public final class DeadLetters {

    /** Dead letters switched off: every call returns at once and counts nothing. */
    public static final DeadLetters OFF = new DeadLetters();

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);
    private static final int HANDOFF = 10_000;
    private static final int WRITE_BATCH = 256;
    /** A file is closed at this fraction of max_bytes, so that deleting the oldest keeps most of them. */
    static final int FILES = 10;
    private static final long LOG_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final Entry END = new Entry(DeadLetterCause.SHUTDOWN, List.of(), null, 0, null, 0, 0, 0);

    /** False for {@link #OFF} only. */
    private final boolean on;
    private final String endpoint;
    private final Path dir;
    private final long maxBytes;
    private final long fileBytes;
    private final DeadLetterMetrics metrics;
    private final ArrayBlockingQueue<Entry> handoff;
    private final AtomicLong pending = new AtomicLong();
    private final String idPrefix;
    private final AtomicLong idSequence = new AtomicLong();
    /** The configuration bodies are written in, and its body writer: swapped as one on reload. */
    @SuppressWarnings("NullAway.Init") // OFF has none, and never renders
    private volatile Rendering rendering;
    private volatile boolean closing;
    /** The writer has ended: what is given up from now on cannot be written. */
    private volatile boolean stopped;
    private @Nullable Thread writer;
    // writer thread only
    private final ArrayDeque<Path> files = new ArrayDeque<>();
    private @Nullable OutputStream out;
    private @Nullable Path current;
    private long currentBytes;
    private long totalBytes;
    private long lastErrorLogNanos;
    private long errorsSinceLog;
    private long lastRotationLogNanos;

    private DeadLetters() {
        this.on = false;
        this.endpoint = "";
        this.dir = Path.of("");
        this.maxBytes = 0;
        this.fileBytes = 0;
        this.metrics = new DeadLetterMetrics();
        this.handoff = new ArrayBlockingQueue<>(1);
        this.idPrefix = "";
    }

    /** The dead letters of an endpoint, off when its configuration has no dead-letter folder. */
    public static DeadLetters of(final EndpointConfig config, final EndpointMetrics metrics) {
        final Path dir = config.deadLetterDir();
        return dir == null ? OFF : new DeadLetters(config, dir, metrics);
    }

    private DeadLetters(final EndpointConfig config, final Path dir, final EndpointMetrics metrics) {
        this.on = true;
        this.endpoint = config.name();
        this.dir = dir;
        this.maxBytes = config.deadLetterMaxBytes();
        this.fileBytes = Math.max(1, maxBytes / FILES);
        this.metrics = metrics.deadLetters();
        this.handoff = new ArrayBlockingQueue<>(HANDOFF);
        this.rendering = new Rendering(config);
        final byte[] random = new byte[9];
        new SecureRandom().nextBytes(random);
        // for events given up before they had a request (a full queue): unique like the delivery's ids
        this.idPrefix = "msg_" + Base64.getUrlEncoder().withoutPadding().encodeToString(random) + "_";
        this.metrics.bind(pending::get);
    }

    boolean enabled() {
        return on;
    }

    /** Starts the writer (on a plugin thread); what is given up before waits in the hand-off. */
    public void start() {
        if (!on) {
            return;
        }
        writer = new Thread(this::write, "mqtt-webhook-dead-letters-" + endpoint);
        writer.setDaemon(true);
        writer.start();
    }

    /** Bodies are written in the reloaded configuration from now on. */
    public void reconfigure(final EndpointConfig config) {
        if (on) {
            rendering = new Rendering(config);
        }
    }

    /** One event given up before or without a request of its own (any thread; never blocks). */
    public void event(final DeadLetterCause cause, final WebhookEvent event) {
        if (on) {
            offer(new Entry(cause, List.of(event), null, 0, null, 0, 0, 0));
        }
    }

    /**
     * Events given up whose record could not be read back (a damaged disk-queue record): nothing to write, so
     * they count as {@code dead_letter.write_failed}, keeping each cause's give-ups equal to its dead letters
     * plus those not written.
     */
    public void unreadable(final long events) {
        if (on && events > 0) {
            metrics.writeFailed(events);
        }
    }

    /** Events given up together without a request (any thread; never blocks). */
    public void events(final DeadLetterCause cause, final List<WebhookEvent> events) {
        if (on && !events.isEmpty()) {
            offer(new Entry(cause, List.copyOf(events), null, 0, null, 0, 0, 0));
        }
    }

    /** The events of a request given up, with its id, attempts and last outcome (any thread; never blocks). */
    void job(final Job job, final DeadLetterCause cause, final @Nullable String error) {
        if (!on) {
            return;
        }
        final Outcome last = job.last;
        final boolean attempted = job.attempts > 0;
        offer(new Entry(cause, job.events, job.id, last == null ? 0 : last.status,
                error != null ? error : last == null ? null : last.error, job.attempts,
                attempted ? job.firstAttemptMillis : 0, attempted ? job.lastAttemptMillis : 0));
    }

    private void offer(final Entry entry) {
        final int events = entry.events.size();
        pending.addAndGet(events);
        if (stopped || !handoff.offer(entry) || (stopped && handoff.remove(entry))) {
            // the second look: close() may have drained the hand-off between the first and the offer
            missed(events);
        }
    }

    private void missed(final long events) {
        pending.addAndGet(-events);
        metrics.missed(events);
    }

    /** Writes what is still handed off, closes the file and ends the writer (waits up to 10 s for it). */
    public void close() {
        if (!on || writer == null) {
            return;
        }
        closing = true;
        handoff.offer(END); // wakes the writer at once; when full, it sees closing after its next batch
        try {
            writer.join(TimeUnit.SECONDS.toMillis(10));
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            LOG.error("mqtt-webhook: the dead-letter writer of endpoint {} did not finish within 10 s; {} event(s)"
                    + " not written yet", endpoint, pending.get());
            return;
        }
        stopped = true;
        // given up after the writer's last look (an offer after the endpoint stopped): counted, never left behind
        final List<Entry> left = new ArrayList<>();
        handoff.drainTo(left);
        for (final Entry entry : left) {
            missed(entry.events.size());
        }
    }

    // --- the writer thread

    private void write() {
        scan();
        final List<Entry> batch = new ArrayList<>(WRITE_BATCH);
        while (true) {
            Entry first;
            try {
                first = handoff.poll(1, TimeUnit.SECONDS);
            } catch (final InterruptedException e) {
                first = null;
                closing = true;
            }
            if (first != null) {
                batch.add(first);
                handoff.drainTo(batch, WRITE_BATCH - 1);
                append(batch);
                batch.clear();
            }
            if (closing && handoff.isEmpty()) {
                break;
            }
        }
        closeFile();
    }

    /** The files of this endpoint already in the folder (from earlier runs) count against max_bytes. */
    private void scan() {
        try {
            Files.createDirectories(dir);
            for (final Path file : DeadLetterFiles.files(dir)) {
                if (DeadLetterFiles.ownedBy(file, endpoint)) {
                    files.add(file);
                    totalBytes += Files.size(file);
                }
            }
            LOG.info("mqtt-webhook: endpoint {} writes the events it gives up to {} (up to {} bytes; {} bytes there)",
                    endpoint, dir, maxBytes, totalBytes);
        } catch (final IOException e) {
            failed("cannot read the dead-letter folder " + dir, e, 0);
        }
    }

    private void append(final List<Entry> batch) {
        final ByteArrayOutputStream lines = new ByteArrayOutputStream(4096);
        final Map<DeadLetterCause, Long> written = new EnumMap<>(DeadLetterCause.class);
        long events = 0;
        long unwritable = 0;
        for (final Entry entry : batch) {
            for (int i = 0; i < entry.events.size(); i++) {
                try {
                    lines.writeBytes(line(entry, i));
                    written.merge(entry.cause, 1L, Long::sum);
                    events++;
                } catch (final RuntimeException e) {
                    unwritable++;
                    failed("cannot write a dead letter of endpoint " + endpoint, e, 1);
                }
            }
        }
        try {
            if (events > 0) {
                final OutputStream file = out != null ? out : open();
                file.write(lines.toByteArray());
                currentBytes += lines.size();
                totalBytes += lines.size();
                written.forEach(metrics::written);
            }
        } catch (final IOException | RuntimeException e) {
            failed("cannot write to the dead-letter folder " + dir, e, events);
            closeFile();
        } finally {
            pending.addAndGet(-(events + unwritable));
        }
        if (out != null && currentBytes >= fileBytes) {
            closeFile(); // the next dead letter starts a new file
        }
        deleteOldest();
    }

    private byte[] line(final Entry entry, final int index) {
        final WebhookEvent event = entry.events.get(index);
        final boolean batch = entry.id != null && entry.events.size() > 1;
        final String id = entry.id != null ? entry.id : idOf(event);
        @Nullable String error = entry.error;
        @Nullable String method = null;
        @Nullable String path = null;
        @Nullable String body = null;
        final Rendering current = rendering;
        try {
            // as a request of its own, also for an event of a batch: each line can be sent again alone
            final RequestTemplate.Rendered request = current.config.request().render(List.of(event), endpoint,
                    current.bodies, false);
            method = request.method;
            path = request.path;
            body = new String(request.body, StandardCharsets.UTF_8);
        } catch (final RuntimeException e) {
            error = error != null ? error : "the body cannot be written: " + e;
        }
        return new DeadLetter(entry.millis, endpoint, id, batch ? index : -1, batch ? entry.events.size() : 0,
                entry.cause.configName(), entry.status, error, entry.attempts, entry.firstMillis, entry.lastMillis,
                event.type().configName(), event.clientId(), event.topic(), event.createdMillis(), method, path, body,
                record(event)).toLine();
    }

    /** The event in the disk queue's binary form, base64; null for an event that has none. */
    private static @Nullable String record(final WebhookEvent event) {
        try {
            return Base64.getEncoder().encodeToString(EventCodec.encode(
                    event instanceof StoredEvent ? ((StoredEvent) event).event() : event));
        } catch (final RuntimeException e) {
            return null;
        }
    }

    /** The id an event without a request of its own would have been sent with. */
    private String idOf(final WebhookEvent event) {
        if (event instanceof StoredEvent && ((StoredEvent) event).id() != null) {
            return ((StoredEvent) event).id();
        }
        return idPrefix + Long.toString(idSequence.incrementAndGet(), 36);
    }

    private OutputStream open() throws IOException {
        Files.createDirectories(dir);
        long millis = System.currentTimeMillis();
        Path file = dir.resolve(DeadLetterFiles.fileName(endpoint, millis));
        while (Files.exists(file)) {
            file = dir.resolve(DeadLetterFiles.fileName(endpoint, ++millis));
        }
        // a plain stream: one write per batch, and no interruptible channel
        final OutputStream opened = new FileOutputStream(file.toFile(), true);
        out = opened;
        current = file;
        currentBytes = 0;
        files.addLast(file);
        return opened;
    }

    private void closeFile() {
        if (out != null) {
            try {
                out.close();
            } catch (final IOException e) {
                failed("cannot close the dead-letter file " + current, e, 0);
            }
            out = null;
            current = null;
        }
    }

    /** Deletes the oldest files while the folder holds more than max_bytes (never the file being written). */
    private void deleteOldest() {
        while (totalBytes > maxBytes && files.size() > 1) {
            final Path oldest = files.peekFirst();
            if (oldest.equals(current)) {
                return;
            }
            try {
                final long size = Files.size(oldest);
                final long lines = DeadLetterFiles.countLines(oldest);
                final long notReplayed = Math.max(0, lines - DeadLetterFiles.readReplayed(oldest).size());
                Files.deleteIfExists(oldest);
                Files.deleteIfExists(DeadLetterFiles.replayed(oldest));
                files.pollFirst();
                totalBytes -= size;
                metrics.rotatedOut(notReplayed);
                final long now = System.nanoTime();
                if (lastRotationLogNanos == 0 || now - lastRotationLogNanos >= LOG_NANOS) {
                    lastRotationLogNanos = now;
                    LOG.warn("mqtt-webhook: endpoint {}: deleted the oldest dead-letter file {} ({} dead letter(s) not"
                            + " replayed) to stay within dead_letter.max_bytes = {} (total deleted unreplayed: {})",
                            endpoint, oldest.getFileName(), notReplayed, maxBytes, metrics.rotatedOutCount());
                }
            } catch (final IOException e) {
                failed("cannot delete the oldest dead-letter file " + oldest, e, 0);
                return;
            }
        }
    }

    /** {@code events} could not be written: counted, and logged at most every 10 s with the count since. */
    private void failed(final String what, final Exception cause, final long events) {
        if (events > 0) {
            metrics.writeFailed(events);
        }
        errorsSinceLog += Math.max(events, 0);
        final long now = System.nanoTime();
        if (lastErrorLogNanos == 0 || now - lastErrorLogNanos >= LOG_NANOS) {
            lastErrorLogNanos = now;
            LOG.error("mqtt-webhook: {}: {}; {} dead letter(s) not written since the last report (counted as"
                    + " dead_letter.write_failed)", what, cause.toString(), errorsSinceLog);
            errorsSinceLog = 0;
        }
    }

    /** An endpoint configuration and the body writer for it. */
    private static final class Rendering {
        final EndpointConfig config;
        final EventBodies bodies;

        Rendering(final EndpointConfig config) {
            this.config = config;
            this.bodies = new EventBodies(config.bodyFormat());
        }
    }

    /** What the writer is handed: the events of one give-up, with what is known of their request. */
    private static final class Entry {
        final DeadLetterCause cause;
        final List<WebhookEvent> events;
        /** The request's id, or null when the events had none (each gets its own). */
        final @Nullable String id;
        final int status;
        final @Nullable String error;
        final int attempts;
        final long firstMillis;
        final long lastMillis;
        final long millis = System.currentTimeMillis();

        Entry(final DeadLetterCause cause, final List<WebhookEvent> events, final @Nullable String id, final int status,
              final @Nullable String error, final int attempts, final long firstMillis, final long lastMillis) {
            this.cause = cause;
            this.events = events;
            this.id = id;
            this.status = status;
            this.error = error;
            this.attempts = attempts;
            this.firstMillis = firstMillis;
            this.lastMillis = lastMillis;
        }
    }
}
