package io.mqttwebhook.config;

import io.mqttwebhook.event.PayloadEncoding;
import io.mqttwebhook.rule.Rule;
import io.mqttwebhook.rule.RuleSet;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The validated webhook configuration: every key of NanoMQ's {@code webhook} block and this project's
 * additions, as typed values. Immutable. Built by {@link ConfigLoader} from a file, or with
 * {@link #builder(URI)} in code (embedded brokers, tests).
 */
public final class WebhookConfig {

    public static final int DEFAULT_POOL_SIZE = 32;
    public static final Duration DEFAULT_CANCEL_TIMEOUT = Duration.ofMillis(5000);
    public static final int DEFAULT_QUEUE_CAPACITY = 100_000;
    public static final int DEFAULT_MAX_ATTEMPTS = 10;
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofMillis(200);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofSeconds(30);
    public static final Duration DEFAULT_BATCH_DELAY = Duration.ofMillis(10);
    public static final Duration DEFAULT_DRAIN_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_RELOAD_INTERVAL = Duration.ofSeconds(5);
    public static final long DEFAULT_QUEUE_MAX_BYTES = 1L << 30;
    public static final Duration DEFAULT_QUEUE_SYNC_INTERVAL = Duration.ofMillis(100);

    private final String source;
    private final URI url;
    private final Map<String, String> headers;
    private final PayloadEncoding encoding;
    private final int poolSize;
    private final Duration cancelTimeout;
    private final TlsSettings tls;
    private final List<Rule> rules;
    private final RuleSet ruleSet;
    private final int queueCapacity;
    private final QueueOverflow queueOverflow;
    private final QueueType queueType;
    private final Path queueDir;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Ordering ordering;
    private final int batchMaxEvents;
    private final Duration batchMaxDelay;
    private final byte[] signingSecret;
    private final Duration drainTimeout;
    private final String authenticatorClass;
    private final Duration reloadInterval;
    private final long queueMaxBytes;
    private final Duration queueSyncInterval;

    private WebhookConfig(final Builder b) {
        this.source = b.source;
        this.url = b.url;
        this.headers = Collections.unmodifiableMap(new LinkedHashMap<>(b.headers));
        this.encoding = b.encoding;
        this.poolSize = b.poolSize;
        this.cancelTimeout = b.cancelTimeout;
        this.tls = b.tls;
        this.rules = List.copyOf(b.rules);
        this.ruleSet = new RuleSet(this.rules);
        this.queueCapacity = b.queueCapacity;
        this.queueOverflow = b.queueOverflow;
        this.queueType = b.queueType;
        this.queueDir = b.queueDir;
        this.maxAttempts = b.maxAttempts;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.ordering = b.ordering;
        this.batchMaxEvents = b.batchMaxEvents;
        this.batchMaxDelay = b.batchMaxDelay;
        this.signingSecret = b.signingSecret == null ? null : b.signingSecret.clone();
        this.drainTimeout = b.drainTimeout;
        this.authenticatorClass = b.authenticatorClass;
        this.reloadInterval = b.reloadInterval;
        this.queueMaxBytes = b.queueMaxBytes;
        this.queueSyncInterval = b.queueSyncInterval;
        if (queueType == QueueType.DISK && queueDir == null) {
            throw new IllegalArgumentException("queue.type = disk needs queue.dir");
        }
    }

    /** {@code disk}: the most bytes the queue file holds; beyond, {@code queue.overflow} applies. */
    public long queueMaxBytes() {
        return queueMaxBytes;
    }

    /** {@code disk}: how often what was offered is committed to the file (the durable point). */
    public Duration queueSyncInterval() {
        return queueSyncInterval;
    }

    /** A builder with every default, posting to {@code url}, and no rules yet. */
    public static Builder builder(final URI url) {
        return new Builder(url);
    }

    /** Where this configuration came from (a file path, or "code"). */
    public String source() {
        return source;
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

    /** Configured request headers, in file order, values as text. */
    public Map<String, String> headers() {
        return headers;
    }

    public PayloadEncoding encoding() {
        return encoding;
    }

    public int poolSize() {
        return poolSize;
    }

    public Duration cancelTimeout() {
        return cancelTimeout;
    }

    /** TLS settings from the {@code ssl} block, or null to use the JVM's defaults for https. */
    public TlsSettings tls() {
        return tls;
    }

    public List<Rule> rules() {
        return rules;
    }

    public RuleSet ruleSet() {
        return ruleSet;
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

    public Path queueDir() {
        return queueDir;
    }

    public int maxAttempts() {
        return maxAttempts;
    }

    public Duration initialBackoff() {
        return initialBackoff;
    }

    public Duration maxBackoff() {
        return maxBackoff;
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
    public byte[] signingSecret() {
        return signingSecret == null ? null : signingSecret.clone();
    }

    public Duration drainTimeout() {
        return drainTimeout;
    }

    /** Moquette only: the authenticator the webhook's authenticator delegates to, or null. */
    public String authenticatorClass() {
        return authenticatorClass;
    }

    /** How often the configuration file is checked for changes; zero: never (no live reload). */
    public Duration reloadInterval() {
        return reloadInterval;
    }

    /** The one-line summary logged at start; never contains secrets. */
    public String summary() {
        return "url=" + urlForLog()
                + " events=" + ruleSet.eventTypes().size() + " rules=" + rules.size()
                + " encoding=" + encoding.configName()
                + " pool_size=" + poolSize
                + " queue=" + queueType.name().toLowerCase(Locale.ROOT) + "(" + queueCapacity + ", "
                + queueOverflow.name().toLowerCase(Locale.ROOT) + ")";
    }

    /** Fluent construction with the documented defaults. */
    public static final class Builder {
        private String source = "code";
        private URI url;
        private final Map<String, String> headers = new LinkedHashMap<>();
        private PayloadEncoding encoding = PayloadEncoding.PLAIN;
        private int poolSize = DEFAULT_POOL_SIZE;
        private Duration cancelTimeout = DEFAULT_CANCEL_TIMEOUT;
        private TlsSettings tls;
        private final List<Rule> rules = new ArrayList<>();
        private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
        private QueueOverflow queueOverflow = QueueOverflow.DROP_OLDEST;
        private QueueType queueType = QueueType.MEMORY;
        private Path queueDir;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;
        private Duration maxBackoff = DEFAULT_MAX_BACKOFF;
        private Ordering ordering = Ordering.NONE;
        private int batchMaxEvents = 1;
        private Duration batchMaxDelay = DEFAULT_BATCH_DELAY;
        private byte[] signingSecret;
        private Duration drainTimeout = DEFAULT_DRAIN_TIMEOUT;
        private String authenticatorClass;
        private Duration reloadInterval = DEFAULT_RELOAD_INTERVAL;
        private long queueMaxBytes = DEFAULT_QUEUE_MAX_BYTES;
        private Duration queueSyncInterval = DEFAULT_QUEUE_SYNC_INTERVAL;

        private Builder(final URI url) {
            this.url = Objects.requireNonNull(url, "url");
        }

        public Builder source(final String value) { this.source = value; return this; }
        public Builder url(final URI value) { this.url = Objects.requireNonNull(value); return this; }
        public Builder header(final String name, final String value) { headers.put(name, value); return this; }
        public Builder encoding(final PayloadEncoding value) { this.encoding = value; return this; }
        public Builder poolSize(final int value) { this.poolSize = positive("pool_size", value); return this; }
        public Builder cancelTimeout(final Duration value) { this.cancelTimeout = value; return this; }
        public Builder tls(final TlsSettings value) { this.tls = value; return this; }
        public Builder rule(final Rule value) { rules.add(value); return this; }
        public Builder queueCapacity(final int value) { this.queueCapacity = positive("queue.capacity", value); return this; }
        public Builder queueOverflow(final QueueOverflow value) { this.queueOverflow = value; return this; }
        public Builder queueType(final QueueType value) { this.queueType = value; return this; }
        public Builder queueDir(final Path value) { this.queueDir = value; return this; }
        public Builder maxAttempts(final int value) { this.maxAttempts = positive("retry.max_attempts", value); return this; }
        public Builder initialBackoff(final Duration value) { this.initialBackoff = value; return this; }
        public Builder maxBackoff(final Duration value) { this.maxBackoff = value; return this; }
        public Builder ordering(final Ordering value) { this.ordering = value; return this; }
        public Builder batchMaxEvents(final int value) { this.batchMaxEvents = positive("batch.max_events", value); return this; }
        public Builder batchMaxDelay(final Duration value) { this.batchMaxDelay = value; return this; }
        public Builder signingSecret(final byte[] value) { this.signingSecret = value; return this; }
        public Builder drainTimeout(final Duration value) { this.drainTimeout = value; return this; }
        public Builder authenticatorClass(final String value) { this.authenticatorClass = value; return this; }
        public Builder reloadInterval(final Duration value) { this.reloadInterval = value; return this; }
        public Builder queueMaxBytes(final long value) { this.queueMaxBytes = value; return this; }
        public Builder queueSyncInterval(final Duration value) { this.queueSyncInterval = value; return this; }

        public WebhookConfig build() {
            return new WebhookConfig(this);
        }

        private static int positive(final String key, final int value) {
            if (value <= 0) {
                throw new IllegalArgumentException(key + " must be > 0, was " + value);
            }
            return value;
        }
    }
}
