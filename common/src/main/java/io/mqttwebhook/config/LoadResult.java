package io.mqttwebhook.config;
import org.jspecify.annotations.Nullable;

import java.util.List;
import java.util.Optional;

/**
 * What loading a file gave: a configuration, or the reason the webhook is off (no {@code webhook} block,
 * {@code enable = false}), plus warnings (unknown keys, ignored values) that did not stop the load.
 */
public final class LoadResult {

    private final @Nullable WebhookConfig config;
    private final @Nullable String disabledReason;
    private final List<String> warnings;

    private LoadResult(final @Nullable WebhookConfig config, final @Nullable String disabledReason,
                       final List<String> warnings) {
        this.config = config;
        this.disabledReason = disabledReason;
        this.warnings = List.copyOf(warnings);
    }

    static LoadResult enabled(final WebhookConfig config, final List<String> warnings) {
        return new LoadResult(config, null, warnings);
    }

    static LoadResult disabled(final String reason, final List<String> warnings) {
        return new LoadResult(null, reason, warnings);
    }

    /** The configuration, or empty when the webhook is off. */
    public Optional<WebhookConfig> config() {
        return Optional.ofNullable(config);
    }

    /** Why the webhook is off; null when it is on. */
    public @Nullable String disabledReason() {
        return disabledReason;
    }

    public List<String> warnings() {
        return warnings;
    }
}
