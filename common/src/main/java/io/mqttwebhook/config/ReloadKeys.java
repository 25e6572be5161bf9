package io.mqttwebhook.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The one table of what a live reload applies. Every key not listed here applies while the broker runs
 * (url, headers, TLS, encoding, pool, timeouts, retries, circuit, batching, signing, rules, and adding or
 * removing endpoints); the keys listed wait for the next restart, and a reload that changes one logs a
 * warning naming it: each endpoint's queue is built once (so are its file and the per-client ordering
 * beside it), and the webhook-wide keys set up things that live as long as the plugin.
 */
public final class ReloadKeys {

    private static final Map<String, Function<EndpointConfig, Object>> ENDPOINT = new LinkedHashMap<>();
    private static final Map<String, Function<WebhookConfig, Object>> WEBHOOK = new LinkedHashMap<>();

    static {
        ENDPOINT.put("queue.type", EndpointConfig::queueType);
        ENDPOINT.put("queue.dir", EndpointConfig::queueDir);
        ENDPOINT.put("queue.capacity", EndpointConfig::queueCapacity);
        ENDPOINT.put("queue.overflow", EndpointConfig::queueOverflow);
        ENDPOINT.put("queue.max_bytes", EndpointConfig::queueMaxBytes);
        ENDPOINT.put("queue.sync_interval", EndpointConfig::queueSyncInterval);
        ENDPOINT.put("ordering", EndpointConfig::ordering);
        ENDPOINT.put("dead_letter.dir", EndpointConfig::deadLetterDir);
        ENDPOINT.put("dead_letter.max_bytes", EndpointConfig::deadLetterMaxBytes);
        WEBHOOK.put("reload.interval", WebhookConfig::reloadInterval);
        WEBHOOK.put("authenticator_class", WebhookConfig::authenticatorClass);
        WEBHOOK.put("metrics.prometheus.port", WebhookConfig::prometheusPort);
        WEBHOOK.put("metrics.prometheus.bind", WebhookConfig::prometheusBind);
    }

    private ReloadKeys() {
    }

    /** Endpoint keys that wait for a restart. */
    public static List<String> restartOnlyEndpointKeys() {
        return List.copyOf(ENDPOINT.keySet());
    }

    /** Webhook-wide keys that wait for a restart. */
    public static List<String> restartOnlyWebhookKeys() {
        return List.copyOf(WEBHOOK.keySet());
    }

    /** The restart-only keys of one endpoint whose value differs in {@code next}. */
    public static List<String> restartOnlyChanges(final EndpointConfig current, final EndpointConfig next) {
        final List<String> changed = new ArrayList<>();
        ENDPOINT.forEach((key, value) -> {
            if (!Objects.equals(value.apply(current), value.apply(next))) {
                changed.add(key);
            }
        });
        return changed;
    }

    /**
     * Every restart-only key that differs in {@code next}, as it is written in the file
     * ({@code webhook.queue.capacity}, {@code webhook.endpoints.billing.ordering}), for the reload warning.
     * Endpoints that are new or removed are not listed: adding and removing endpoints is applied.
     */
    public static List<String> restartOnlyChanges(final WebhookConfig current, final WebhookConfig next) {
        final List<String> changed = new ArrayList<>();
        WEBHOOK.forEach((key, value) -> {
            if (!Objects.equals(value.apply(current), value.apply(next))) {
                changed.add("webhook." + key);
            }
        });
        for (final EndpointConfig endpoint : next.endpoints()) {
            current.endpoint(endpoint.name()).ifPresent(before -> {
                for (final String key : restartOnlyChanges(before, endpoint)) {
                    changed.add(WebhookConfig.keyPrefix(endpoint.name()) + key);
                }
            });
        }
        return Collections.unmodifiableList(changed);
    }
}
