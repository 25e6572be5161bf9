package io.mqttwebhook.config;

import io.mqttwebhook.event.EventType;
import io.mqttwebhook.rule.Router;
import org.jspecify.annotations.Nullable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * The whole validated configuration of one file: its endpoints (NanoMQ's {@code webhook} block is the endpoint
 * {@value EndpointConfig#DEFAULT_NAME}; {@code webhook.endpoints.<name>} add more) with their rules compiled
 * into one {@link Router}, and the keys that concern the webhook as a whole (drain at stop, live reload,
 * Moquette's authenticator and Prometheus endpoint). Immutable. Built by {@link ConfigLoader}, or with {@link #builder()} /
 * {@link #of(EndpointConfig...)} in code.
 */
public final class WebhookConfig {

    /** At most this many endpoints: an event's endpoints are one bit each in an int. */
    public static final int MAX_ENDPOINTS = Router.MAX_ENDPOINTS;
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(5);
    /** Where the Prometheus endpoint listens unless told otherwise: this machine only. */
    public static final String DEFAULT_PROMETHEUS_BIND = "127.0.0.1";

    private final String source;
    private final List<EndpointConfig> endpoints;
    private final Map<String, EndpointConfig> byName;
    private final Router router;
    private final Duration drainTimeout;
    private final Duration reloadInterval;
    private final @Nullable String authenticatorClass;
    private final OptionalInt prometheusPort;
    private final String prometheusBind;

    private WebhookConfig(final Builder b) {
        this.source = b.source;
        this.endpoints = List.copyOf(b.endpoints);
        final Map<String, EndpointConfig> names = new LinkedHashMap<>();
        for (final EndpointConfig endpoint : endpoints) {
            if (names.put(endpoint.name(), endpoint) != null) {
                throw new IllegalArgumentException("two endpoints are named " + endpoint.name());
            }
        }
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("a webhook needs at least one endpoint");
        }
        if (endpoints.size() > MAX_ENDPOINTS) {
            throw new IllegalArgumentException("at most " + MAX_ENDPOINTS + " endpoints, found " + endpoints.size());
        }
        this.byName = Collections.unmodifiableMap(names);
        final List<List<io.mqttwebhook.rule.Rule>> rules = new ArrayList<>();
        endpoints.forEach(e -> rules.add(e.rules()));
        this.router = new Router(rules);
        this.drainTimeout = b.drainTimeout;
        this.reloadInterval = b.reloadInterval;
        this.authenticatorClass = b.authenticatorClass;
        this.prometheusPort = b.prometheusPort;
        this.prometheusBind = b.prometheusBind;
    }

    /** A webhook of these endpoints with every other default. */
    public static WebhookConfig of(final EndpointConfig... endpoints) {
        final Builder builder = builder();
        for (final EndpointConfig endpoint : endpoints) {
            builder.endpoint(endpoint);
        }
        return builder.build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding every value of this configuration. */
    public Builder toBuilder() {
        final Builder b = new Builder().source(source).drainTimeout(drainTimeout).reloadInterval(reloadInterval)
                .authenticatorClass(authenticatorClass).prometheusBind(prometheusBind);
        prometheusPort.ifPresent(b::prometheusPort);
        endpoints.forEach(b::endpoint);
        return b;
    }

    /** How an endpoint's keys are written in the file: {@code webhook.} or {@code webhook.endpoints.<name>.}. */
    public static String keyPrefix(final String endpoint) {
        return EndpointConfig.DEFAULT_NAME.equals(endpoint) ? "webhook." : "webhook.endpoints." + endpoint + ".";
    }

    /** Where this configuration came from (a file path, or "code"). */
    public String source() {
        return source;
    }

    /** Every endpoint, {@value EndpointConfig#DEFAULT_NAME} first when there is one, then in file order. */
    public List<EndpointConfig> endpoints() {
        return endpoints;
    }

    public Optional<EndpointConfig> endpoint(final String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The rules of every endpoint compiled into one tree; bit i of a match is {@code endpoints().get(i)}. */
    public Router router() {
        return router;
    }

    /** The event types at least one rule of one endpoint wants. */
    public Set<EventType> eventTypes() {
        final Set<EventType> types = EnumSet.noneOf(EventType.class);
        for (final EventType type : EventType.values()) {
            if (router.wants(type)) {
                types.add(type);
            }
        }
        return types;
    }

    /** On stop, how long queued events may take to be delivered. */
    public Duration drainTimeout() {
        return drainTimeout;
    }

    /** How often the configuration file is checked for changes; zero: never (no live reload). */
    public Duration reloadInterval() {
        return reloadInterval;
    }

    /** Moquette only: the authenticator the webhook's authenticator delegates to, or null. */
    public @Nullable String authenticatorClass() {
        return authenticatorClass;
    }

    /**
     * Moquette only: the port of the Prometheus endpoint ({@code metrics.prometheus.port}; 0: any free port),
     * empty when it is off (the default). On HiveMQ, HiveMQ's Prometheus extension exports the same metrics.
     */
    public OptionalInt prometheusPort() {
        return prometheusPort;
    }

    /** The address the Prometheus endpoint binds ({@code metrics.prometheus.bind}), {@value #DEFAULT_PROMETHEUS_BIND} by default. */
    public String prometheusBind() {
        return prometheusBind;
    }

    /** One line per endpoint, as logged at start; never contains secrets. */
    public List<String> summary() {
        final List<String> lines = new ArrayList<>();
        endpoints.forEach(e -> lines.add(e.summary()));
        return lines;
    }

    /** Fluent construction with the documented defaults. */
    public static final class Builder {
        private String source = "code";
        private final List<EndpointConfig> endpoints = new ArrayList<>();
        private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
        private Duration reloadInterval = DEFAULT_RELOAD_INTERVAL;
        private @Nullable String authenticatorClass;
        private OptionalInt prometheusPort = OptionalInt.empty();
        private String prometheusBind = DEFAULT_PROMETHEUS_BIND;

        private Builder() {
        }

        public Builder source(final String value) { this.source = Objects.requireNonNull(value); return this; }
        public Builder endpoint(final EndpointConfig value) { endpoints.add(Objects.requireNonNull(value)); return this; }
        public Builder drainTimeout(final Duration value) { this.drainTimeout = Objects.requireNonNull(value); return this; }
        public Builder reloadInterval(final Duration value) { this.reloadInterval = Objects.requireNonNull(value); return this; }
        public Builder authenticatorClass(final @Nullable String value) { this.authenticatorClass = value; return this; }

        /** Turns the Prometheus endpoint on, on this port (0: any free port). */
        public Builder prometheusPort(final int value) {
            if (value < 0 || value > 65535) {
                throw new IllegalArgumentException("not a port: " + value);
            }
            this.prometheusPort = OptionalInt.of(value);
            return this;
        }

        public Builder prometheusBind(final String value) { this.prometheusBind = Objects.requireNonNull(value); return this; }

        /** Replaces the endpoint of the same name (tests and embedding code adjust one endpoint). */
        public Builder replace(final EndpointConfig value) {
            endpoints.replaceAll(e -> e.name().equals(value.name()) ? value : e);
            return this;
        }

        public WebhookConfig build() {
            return new WebhookConfig(this);
        }
    }
}
