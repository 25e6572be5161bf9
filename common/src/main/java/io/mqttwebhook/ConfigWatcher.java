package io.mqttwebhook;

import io.mqttwebhook.config.ConfigException;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.config.LoadResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Live reload: checks the configuration file every few seconds (like HiveMQ's file-RBAC extension) and,
 * when its content changed, loads it and applies it to the running {@link Webhook}. An invalid file keeps
 * the configuration in force and logs every error once per change; a file that would turn the webhook off
 * is not applied (stopping the webhook is a restart). HiveMQ CE loads extensions only at start, so this is
 * how its webhook changes without one.
 */
public final class ConfigWatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);

    private final Path file;
    private final Webhook webhook;
    private final ScheduledExecutorService timer;
    /** The content the webhook runs with; null when the file could not be read then (any content is news). */
    private byte @Nullable [] applied;

    private ConfigWatcher(final Path file, final byte @Nullable [] applied, final Webhook webhook,
                          final Duration interval) {
        this.file = file;
        this.webhook = webhook;
        this.applied = applied;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            final Thread t = new Thread(r, "mqtt-webhook-config-watch");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::check, interval.toMillis(), interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Watches {@code file}, whose current content {@code webhook} already runs with. */
    public static ConfigWatcher start(final Path file, final Webhook webhook, final Duration interval) {
        return new ConfigWatcher(file, read(file), webhook, interval);
    }

    /** Watches {@code file}; {@code webhook} runs with {@code applied}, its content when it was loaded. */
    static ConfigWatcher start(final Path file, final byte @Nullable [] applied, final Webhook webhook,
                               final Duration interval) {
        return new ConfigWatcher(file, applied, webhook, interval);
    }

    private byte @Nullable [] read() {
        return read(file);
    }

    /** The file's bytes, or null when it cannot be read (gone, or being replaced). */
    static byte @Nullable [] read(final Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (final IOException e) {
            return null;
        }
    }

    /** One check; package-visible so that tests need not wait for the timer. Never runs twice at once. */
    synchronized void check() {
        final byte[] content = read();
        if (content == null || Arrays.equals(content, applied)) {
            return;
        }
        applied = content;
        try {
            final LoadResult result = ConfigLoader.load(file);
            result.warnings().forEach(warning -> LOG.warn("mqtt-webhook: {}", warning));
            if (result.config().isEmpty()) {
                webhook.metrics().reloadRejected();
                LOG.warn("mqtt-webhook: {}; not applied while running, the current configuration stays"
                        + " (restart the broker to turn the webhook off)", result.disabledReason());
                return;
            }
            final List<String> restartOnly = webhook.reconfigure(result.config().get());
            webhook.metrics().reloadApplied();
            if (!restartOnly.isEmpty()) {
                LOG.warn("mqtt-webhook: {} changed in {}; these keep their value until the next restart",
                        String.join(", ", restartOnly), file);
            }
        } catch (final ConfigException e) {
            webhook.metrics().reloadRejected();
            LOG.error("mqtt-webhook: {} was changed but is not valid; the current configuration stays: {}", file,
                    e.getMessage());
        } catch (final RuntimeException e) {
            webhook.metrics().reloadRejected();
            LOG.error("mqtt-webhook: cannot apply the changed {}; the current configuration stays", file, e);
        }
    }

    /** Stops the checks and waits for one under way (its reload may be draining a removed endpoint). */
    @Override
    public void close() {
        timer.shutdown(); // periodic checks end; one under way finishes
        try {
            if (!timer.awaitTermination(60, TimeUnit.SECONDS)) {
                LOG.warn("mqtt-webhook: a configuration check of {} is still running after 60 s", file);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
