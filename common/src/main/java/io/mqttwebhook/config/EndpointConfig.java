package io.mqttwebhook.config;

import io.mqttwebhook.event.BodyFormat;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PayloadEncoding;
import io.mqttwebhook.request.RequestTemplate;
import io.mqttwebhook.rule.Rule;
import org.jspecify.annotations.Nullable;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One endpoint of the webhook, validated: where its events go, which events (its rules), and how they are
 * delivered (pool, retries, queue, batching, signing). NanoMQ's {@code webhook} block is the endpoint named
 * {@value #DEFAULT_NAME}; {@code webhook.endpoints.<name>} blocks add more. Immutable. Built by
 * {@link ConfigLoader}, or with {@link #builder(URI)} in code.
 */
public final class EndpointConfig {

    /** The name of the endpoint that NanoMQ's {@code webhook} block itself describes. */
    public static final String DEFAULT_NAME = "default";
    /** Endpoint names: they become parts of metric names, so letters, digits, {@code _} and {@code -}. */
    public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");

    public static final int DEFAULT_POOL_SIZE = 32;
    public static final int DEFAULT_PIPELINING = 8;
    public static final HttpClientKind DEFAULT_HTTP_CLIENT = HttpClientKind.NIO;
    public static final Duration DEFAULT_CANCEL_TIMEOUT = Duration.ofMillis(5000);
    public static final int DEFAULT_QUEUE_CAPACITY = 100_000;
    public static final int DEFAULT_MAX_ATTEMPTS = 10;
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(200);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);
    public static final int DEFAULT_CIRCUIT_THRESHOLD = 5;
    public static final Duration DEFAULT_BATCH_DELAY = Duration.ofMillis(10);
    public static final long DEFAULT_QUEUE_MAX_BYTES = 1L << 30;
    public static final Duration DEFAULT_QUEUE_SYNC_INTERVAL = Duration.ofMillis(100);
    public static final long DEFAULT_DEAD_LETTER_MAX_BYTES = 100L << 20;
    /** Where a disk queue's dead letters go unless {@code dead_letter.dir} says otherwise: in {@code queue.dir}. */
    public static final String DEFAULT_DEAD_LETTER_FOLDER = "dead-letters";

    private final String name;
    private final URI url;
    private final Map<String, String> headers;
    private final PayloadEncoding encoding;
    private final int poolSize;
    private final int pipelining;
    private final HttpClientKind httpClient;
    private final Duration cancelTimeout;
    private final @Nullable TlsSettings tls;
    private final List<Rule> rules;
    private final int queueCapacity;
    private final QueueOverflow queueOverflow;
    private final QueueType queueType;
    private final @Nullable Path queueDir;
    private final long queueMaxBytes;
    private final Duration queueSyncInterval;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final int circuitThreshold;
    private final Ordering ordering;
    private final int batchMaxEvents;
    private final Duration batchMaxDelay;
    private final byte @Nullable [] signingSecret;
    /** {@code dead_letter.enable}: null when not set (then on for a disk queue or a set dir). */
    private final @Nullable Boolean deadLetterEnabled;
    private final @Nullable Path deadLetterDir;
    private final long deadLetterMaxBytes;
    private final @Nullable RateLimit rateLimit;
    private final @Nullable String method;
    private final @Nullable String path;
    private final @Nullable String bodyTemplate;
    private final boolean bodyProperties;
    private final RequestTemplate request;

    private EndpointConfig(final Builder b) {
        this.name = b.name;
        this.url = b.url;
        this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
        this.encoding = b.encoding;
        this.poolSize = b.poolSize;
        this.pipelining = b.pipelining;
        this.httpClient = b.httpClient;
        this.cancelTimeout = b.cancelTimeout;
        this.tls = b.tls;
        this.rules = List.copyOf(b.rules);
        this.queueCapacity = b.queueCapacity;
        this.queueOverflow = b.queueOverflow;
        this.queueType = b.queueType;
        this.queueDir = b.queueDir;
        this.queueMaxBytes = b.queueMaxBytes;
        this.queueSyncInterval = b.queueSyncInterval;
        this.maxAttempts = b.maxAttempts;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.circuitThreshold = b.circuitThreshold;
        this.ordering = b.ordering;
        this.batchMaxEvents = b.batchMaxEvents;
        this.batchMaxDelay = b.batchMaxDelay;
        this.signingSecret = b.signingSecret == null ? null : b.signingSecret.clone();
        this.method = b.method;
        this.path = b.path;
        this.bodyTemplate = b.bodyTemplate;
        this.bodyProperties = b.bodyProperties;
        try {
            this.request = RequestTemplate.compile(method, path, headers, bodyTemplate, eventTypes(rules));
        } catch (final RequestTemplate.KeyException e) {
            throw new IllegalArgumentException(e.key() + ": " + e.getMessage(), e);
        }
        if (batchMaxEvents > 1 && request.perEvent()) {
            throw new IllegalArgumentException("batch.max_events > 1 with a path or header that names an event field:"
                    + " one request carries one event's url and headers");
        }
        this.deadLetterEnabled = b.deadLetterEnabled;
        this.deadLetterDir = b.deadLetterDir;
        this.deadLetterMaxBytes = b.deadLetterMaxBytes;
        this.rateLimit = b.rateLimit;
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("an endpoint name is 1 to 64 letters, digits, _ or -: " + name);
        }
        if (queueType == QueueType.DISK && queueDir == null) {
            throw new IllegalArgumentException("queue.type = disk needs queue.dir");
        }
        if (Boolean.TRUE.equals(deadLetterEnabled) && deadLetterDir() == null) {
            throw new IllegalArgumentException("dead_letter.enable = true needs dead_letter.dir (or queue.type = disk)");
        }
    }

    /** A builder for the endpoint {@value #DEFAULT_NAME} with every default, posting to {@code url}, no rules yet. */
    public static Builder builder(final URI url) {
        return new Builder(DEFAULT_NAME, url);
    }

    /** A builder for a named endpoint. */
    public static Builder builder(final String name, final URI url) {
        return new Builder(name, url);
    }

    /** A builder holding every value of this configuration, to change some of them. */
    public Builder toBuilder() {
        final Builder b = new Builder(name, url);
        headers.forEach(b::header);
        b.encoding(encoding).poolSize(poolSize).pipelining(pipelining).httpClient(httpClient)
                .cancelTimeout(cancelTimeout).tls(tls)
                .queueCapacity(queueCapacity).queueOverflow(queueOverflow).queueType(queueType).queueDir(queueDir)
                .queueMaxBytes(queueMaxBytes).queueSyncInterval(queueSyncInterval).maxAttempts(maxAttempts)
                .initialBackoff(initialBackoff).maxBackoff(maxBackoff).circuitThreshold(circuitThreshold)
                .ordering(ordering).batchMaxEvents(batchMaxEvents).batchMaxDelay(batchMaxDelay)
                .signingSecret(signingSecret).method(method).path(path).bodyTemplate(bodyTemplate)
                .bodyProperties(bodyProperties);
        b.deadLetterEnabled(deadLetterEnabled).deadLetterDir(deadLetterDir).deadLetterMaxBytes(deadLetterMaxBytes)
                .rateLimit(rateLimit);
        rules.forEach(b::rule);
        return b;
    }

    static Set<EventType> eventTypes(final List<Rule> rules) {
        final Set<EventType> types = EnumSet.noneOf(EventType.class);
        rules.forEach(rule -> types.add(rule.event()));
        return types;
    }

    /** {@value #DEFAULT_NAME} for NanoMQ's block, else the name under {@code webhook.endpoints}. */
    public String name() {
        return name;
    }

    public URI url() {
        return url;
    }

    /** The url as it may be logged: without user info (credentials). */
    public String urlForLog() {
        return redact(url);
    }

    static String redact(final URI uri) {
        if (uri.getRawUserInfo() == null) {
            return uri.toString();
        }
        return uri.getScheme() + "://***@" + uri.getRawAuthority().substring(uri.getRawAuthority().indexOf('@') + 1)
                + (uri.getRawPath() == null ? "" : uri.getRawPath())
                + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    }

    /** Configured request headers in the order they are sent (sorted by name: HOCON objects have no order). */
    public Map<String, String> headers() {
        return headers;
    }

    public PayloadEncoding encoding() {
        return encoding;
    }

    public int poolSize() {
        return poolSize;
    }

    /**
     * {@code pipelining}: the most requests one connection carries at once ({@code nio} client), used while
     * the endpoint answers fast; 1 turns pipelining off. {@code pool_size} stays the most in flight.
     */
    public int pipelining() {
        return pipelining;
    }

    /** {@code http.client}: which HTTP client sends this endpoint's requests. */
    public HttpClientKind httpClient() {
        return httpClient;
    }

    public Duration cancelTimeout() {
        return cancelTimeout;
    }

    /** TLS settings from the {@code ssl} block, or null to use the JVM's defaults for https. */
    public @Nullable TlsSettings tls() {
        return tls;
    }

    public List<Rule> rules() {
        return rules;
    }

    public int queueCapacity() {
        return queueCapacity;
    }

    public QueueOverflow queueOverflow() {
        return queueOverflow;
    }

    public QueueType queueType() {
        return queueType;
    }

    /** The folder of the queue file ({@code disk}), or null. */
    public @Nullable Path queueDir() {
        return queueDir;
    }

    /** {@code disk}: the most bytes the queue file holds; beyond, {@code queue.overflow} applies. */
    public long queueMaxBytes() {
        return queueMaxBytes;
    }

    /** {@code disk}: how often what was offered is committed to the file (the durable point). */
    public Duration queueSyncInterval() {
        return queueSyncInterval;
    }

    /** Attempts per event, the first included, counted only while the endpoint answers other requests. */
    public int maxAttempts() {
        return maxAttempts;
    }

    public Duration initialBackoff() {
        return initialBackoff;
    }

    public Duration maxBackoff() {
        return maxBackoff;
    }

    /** Consecutive connection errors, timeouts or 502/503/504 after which the endpoint counts as down. */
    public int circuitThreshold() {
        return circuitThreshold;
    }

    public Ordering ordering() {
        return ordering;
    }

    public int batchMaxEvents() {
        return batchMaxEvents;
    }

    public Duration batchMaxDelay() {
        return batchMaxDelay;
    }

    /** The decoded Standard Webhooks secret, or null when requests are not signed. */
    public byte @Nullable [] signingSecret() {
        return signingSecret == null ? null : signingSecret.clone();
    }

    /** The request this endpoint sends, compiled: method, path, headers and body templates. */
    public RequestTemplate request() {
        return request;
    }

    /** {@code method}, as configured (null: POST). */
    public @Nullable String method() {
        return method;
    }

    /** {@code path}, as configured, or null. */
    public @Nullable String path() {
        return path;
    }

    /** {@code body.template}, as configured, or null. */
    public @Nullable String bodyTemplate() {
        return bodyTemplate;
    }

    /** {@code body.properties}: MQTT 5 properties in the bodies (off: NanoMQ's exact bodies). */
    public boolean bodyProperties() {
        return bodyProperties;
    }

    /** Whether this endpoint's requests show MQTT 5 properties: adapters copy them only then. */
    public boolean wantsProperties() {
        return bodyProperties || request.usesProperties();
    }

    /** How bodies are written: payload encoding and properties. */
    public BodyFormat bodyFormat() {
        return new BodyFormat(encoding, bodyProperties);
    }

    /**
     * The folder dead letters are written to, or null when they are off: {@code dead_letter.dir}, else
     * {@code <queue.dir>/dead-letters} for a disk queue; {@code dead_letter.enable = false} turns them off.
     */
    public @Nullable Path deadLetterDir() {
        if (Boolean.FALSE.equals(deadLetterEnabled)) {
            return null;
        }
        if (deadLetterDir != null) {
            return deadLetterDir;
        }
        // a disk queue always has its dir (checked at construction)
        return queueType == QueueType.DISK ? Objects.requireNonNull(queueDir).resolve(DEFAULT_DEAD_LETTER_FOLDER)
                : null;
    }

    /** The most bytes the dead-letter files of this endpoint hold; beyond, the oldest file is deleted. */
    public long deadLetterMaxBytes() {
        return deadLetterMaxBytes;
    }

    /** {@code rate_limit}, or null when events go out as fast as the endpoint takes them. */
    public @Nullable RateLimit rateLimit() {
        return rateLimit;
    }

    /** The one-line summary logged at start; never contains secrets. */
    public String summary() {
        return name + ": url=" + urlForLog()
                + " events=" + rules.stream().map(Rule::event).distinct().count() + " rules=" + rules.size()
                + " encoding=" + encoding.configName()
                + " pool_size=" + poolSize
                + " http.client=" + httpClient.configName()
                + (httpClient == HttpClientKind.NIO ? " pipelining=" + pipelining : "")
                + " queue=" + queueType.name().toLowerCase(Locale.ROOT) + "("
                + (queueType == QueueType.DISK ? queueDir + ", " + queueMaxBytes + " bytes" : queueCapacity + " events")
                + ", " + queueOverflow.name().toLowerCase(Locale.ROOT) + ")";
    }

    /** Whether {@code other} says the same in every key (a reload that does not touch this endpoint). */
    public boolean sameAs(final EndpointConfig other) {
        return name.equals(other.name) && url.equals(other.url) && headers.equals(other.headers)
                && encoding == other.encoding && poolSize == other.poolSize
                && pipelining == other.pipelining && httpClient == other.httpClient
                && cancelTimeout.equals(other.cancelTimeout) && Objects.equals(tlsText(), other.tlsText())
                && rules.equals(other.rules) && ReloadKeys.restartOnlyChanges(this, other).isEmpty()
                && maxAttempts == other.maxAttempts && initialBackoff.equals(other.initialBackoff)
                && maxBackoff.equals(other.maxBackoff) && circuitThreshold == other.circuitThreshold
                && batchMaxEvents == other.batchMaxEvents && batchMaxDelay.equals(other.batchMaxDelay)
                && Arrays.equals(signingSecret, other.signingSecret) && Objects.equals(method, other.method)
                && Objects.equals(path, other.path) && Objects.equals(bodyTemplate, other.bodyTemplate)
                && bodyProperties == other.bodyProperties
                && Objects.equals(rateLimit, other.rateLimit);
    }

    private @Nullable String tlsText() {
        return tls == null ? null : tls.toString();
    }

    /** Fluent construction with the documented defaults. */
    public static final class Builder {
        private final String name;
        private URI url;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private PayloadEncoding encoding = PayloadEncoding.PLAIN;
        private int poolSize = DEFAULT_POOL_SIZE;
        private int pipelining = DEFAULT_PIPELINING;
        private HttpClientKind httpClient = DEFAULT_HTTP_CLIENT;
        private Duration cancelTimeout = DEFAULT_CANCEL_TIMEOUT;
        private @Nullable TlsSettings tls;
        private final List<Rule> rules = new ArrayList<>();
        private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
        private QueueOverflow queueOverflow = QueueOverflow.DROP_OLDEST;
        private QueueType queueType = QueueType.MEMORY;
        private @Nullable Path queueDir;
        private long queueMaxBytes = DEFAULT_QUEUE_MAX_BYTES;
        private Duration queueSyncInterval = DEFAULT_QUEUE_SYNC_INTERVAL;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private int circuitThreshold = DEFAULT_CIRCUIT_THRESHOLD;
        private Ordering ordering = Ordering.NONE;
        private int batchMaxEvents = 1;
        private Duration batchMaxDelay = DEFAULT_BATCH_DELAY;
        private byte @Nullable [] signingSecret;
        private @Nullable Boolean deadLetterEnabled;
        private @Nullable Path deadLetterDir;
        private long deadLetterMaxBytes = DEFAULT_DEAD_LETTER_MAX_BYTES;
        private @Nullable RateLimit rateLimit;
        private @Nullable String method;
        private @Nullable String path;
        private @Nullable String bodyTemplate;
        private boolean bodyProperties;

        private Builder(final String name, final URI url) {
            this.name = Objects.requireNonNull(name, "name");
            this.url = Objects.requireNonNull(url, "url");
        }

        public Builder url(final URI value) { this.url = Objects.requireNonNull(value); return this; }
        public Builder header(final String name, final String value) { headers.put(name, value); return this; }
        public Builder encoding(final PayloadEncoding value) { this.encoding = value; return this; }
        public Builder poolSize(final int value) { this.poolSize = positive("pool_size", value); return this; }
        public Builder pipelining(final int value) { this.pipelining = positive("pipelining", value); return this; }
        public Builder httpClient(final HttpClientKind value) { this.httpClient = java.util.Objects.requireNonNull(value); return this; }
        public Builder cancelTimeout(final Duration value) { this.cancelTimeout = value; return this; }
        public Builder tls(final @Nullable TlsSettings value) { this.tls = value; return this; }
        public Builder rule(final Rule value) { rules.add(value); return this; }
        public Builder queueCapacity(final int value) { this.queueCapacity = positive("queue.capacity", value); return this; }
        public Builder queueOverflow(final QueueOverflow value) { this.queueOverflow = value; return this; }
        public Builder queueType(final QueueType value) { this.queueType = value; return this; }
        public Builder queueDir(final @Nullable Path value) { this.queueDir = value; return this; }
        public Builder queueMaxBytes(final long value) { this.queueMaxBytes = value; return this; }
        public Builder queueSyncInterval(final Duration value) { this.queueSyncInterval = value; return this; }
        public Builder maxAttempts(final int value) { this.maxAttempts = positive("retry.max_attempts", value); return this; }
        public Builder initialBackoff(final Duration value) { this.initialBackoff = value; return this; }
        public Builder maxBackoff(final Duration value) { this.maxBackoff = value; return this; }
        public Builder circuitThreshold(final int value) { this.circuitThreshold = positive("circuit.failure_threshold", value); return this; }
        public Builder ordering(final Ordering value) { this.ordering = value; return this; }
        public Builder batchMaxEvents(final int value) { this.batchMaxEvents = positive("batch.max_events", value); return this; }
        public Builder batchMaxDelay(final Duration value) { this.batchMaxDelay = value; return this; }
        public Builder signingSecret(final byte @Nullable [] value) { this.signingSecret = value == null ? null : value.clone(); return this; }
        /** {@code dead_letter.enable}; null: on when a dead-letter dir is set or the queue is on disk. */
        public Builder deadLetterEnabled(final @Nullable Boolean value) { this.deadLetterEnabled = value; return this; }
        public Builder deadLetterDir(final @Nullable Path value) { this.deadLetterDir = value; return this; }
        public Builder deadLetterMaxBytes(final long value) { this.deadLetterMaxBytes = value; return this; }
        public Builder rateLimit(final @Nullable RateLimit value) { this.rateLimit = value; return this; }
        public Builder method(final @Nullable String value) { this.method = value; return this; }
        public Builder path(final @Nullable String value) { this.path = value; return this; }
        public Builder bodyTemplate(final @Nullable String value) { this.bodyTemplate = value; return this; }
        public Builder bodyProperties(final boolean value) { this.bodyProperties = value; return this; }

        public EndpointConfig build() {
            return new EndpointConfig(this);
        }

        /** A builder with the same values (for the loader's checks before it builds). */
        Builder copy() {
            final Builder b = new Builder(name, url);
            b.headers.putAll(headers);
            b.rules.addAll(rules);
            b.batchMaxEvents = batchMaxEvents;
            return b;
        }

        Map<String, String> headers() {
            return headers;
        }

        Set<EventType> eventTypes() {
            return EndpointConfig.eventTypes(rules);
        }

        int batchMaxEvents() {
            return batchMaxEvents;
        }

        private static int positive(final String key, final int value) {
            if (value <= 0) {
                throw new IllegalArgumentException(key + " must be > 0, was " + value);
            }
            return value;
        }
    }
}
