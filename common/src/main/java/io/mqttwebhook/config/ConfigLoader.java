package io.mqttwebhook.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigList;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigSyntax;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PayloadEncoding;
import io.mqttwebhook.rule.Rule;
import io.mqttwebhook.rule.TopicFilters;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.HashMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the webhook configuration from a file in NanoMQ's format: the {@code webhook { ... }} block of a
 * HOCON file (0.14 and later; every other block of a complete {@code nanomq.conf} is ignored), or the old
 * flat {@code web.hook.*} lines. Validates everything once, collecting every problem with its file, line,
 * key, value and what is allowed.
 */
public final class ConfigLoader {

    /** System property naming the configuration file, before the environment variable and the default. */
    public static final String SYSTEM_PROPERTY = "mqtt.webhook.config";
    public static final String ENVIRONMENT_VARIABLE = "MQTT_WEBHOOK_CONFIG";

    private static final Pattern OLD_FORMAT_LINE = Pattern.compile("(?m)^[ \\t]*web\\.hook\\.");
    private static final Pattern OLD_LINE = Pattern.compile("^\\s*web\\.hook\\.([^=\\s]+)\\s*=\\s*(.*?)\\s*$");
    private static final Pattern OLD_RULE_KEY = Pattern.compile("rule\\.([a-z]+\\.[a-z]+)\\.[^.]+");
    private static final Pattern UNQUOTED_URL = Pattern.compile("(?m)^[^#\n]*url\\s*[=:]\\s*https?://");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

    /** The keys of one endpoint (besides {@code headers.<name>}), in NanoMQ's block and in each named endpoint. */
    static final Set<String> ENDPOINT_KEYS = Set.of(
            "url", "body.encoding", "pool_size", "pipelining", "http.client", "cancel_timeout", "cancel_time", "events",
            "ssl.enable", "ssl.cacertfile", "ssl.certfile", "ssl.keyfile", "ssl.key_password", "ssl.verify",
            "queue.capacity", "queue.overflow", "queue.type", "queue.dir", "queue.max_bytes", "queue.sync_interval",
            "retry.max_attempts", "retry.initial_backoff", "retry.max_backoff", "circuit.failure_threshold",
            "ordering", "batch.max_events", "batch.max_delay", "signing.secret",
            "dead_letter.enable", "dead_letter.dir", "dead_letter.max_bytes",
            "rate_limit.events_per_second", "rate_limit.requests_per_second", "rate_limit.burst",
            "method", "path", "body.template", "body.properties");
    /** The keys of the webhook as a whole, in the webhook block only. */
    static final Set<String> WEBHOOK_KEYS = Set.of("enable", "shutdown.drain_timeout", "authenticator_class",
            "reload.interval", "metrics.prometheus.port", "metrics.prometheus.bind");
    private static final Set<String> RULE_KEYS = Set.of("event", "topic", "action");

    private ConfigLoader() {
    }

    /** The file named by {@value #SYSTEM_PROPERTY} or else {@value #ENVIRONMENT_VARIABLE}, if any. */
    public static Optional<Path> overriddenLocation() {
        String named = System.getProperty(SYSTEM_PROPERTY);
        if (named == null || named.isBlank()) {
            named = System.getenv(ENVIRONMENT_VARIABLE);
        }
        return named == null || named.isBlank() ? Optional.empty() : Optional.of(Paths.get(named.trim()));
    }

    /** Loads a file; {@link ConfigException} lists every problem. */
    public static LoadResult load(final Path file) {
        final String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (final IOException e) {
            throw new ConfigException("cannot read the configuration file " + file + ": "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()));
        }
        return parse(text, file.toString());
    }

    /** Parses configuration text; {@code description} names it in messages (usually the file path). */
    public static LoadResult parse(final String text, final String description) {
        final boolean oldFormat = OLD_FORMAT_LINE.matcher(text).find();
        final String hocon = oldFormat ? translateOldFormat(text) : text;
        final Config root;
        try {
            root = ConfigFactory.parseString(hocon, ConfigParseOptions.defaults()
                    .setSyntax(ConfigSyntax.CONF).setOriginDescription(description)).resolve();
        } catch (final com.typesafe.config.ConfigException e) {
            final String hint = UNQUOTED_URL.matcher(hocon).find()
                    ? " (an unquoted // starts a comment in this format: quote the URL)" : "";
            throw new ConfigException(description + ": not a valid NanoMQ configuration file: " + e.getMessage() + hint);
        }
        if (!root.hasPath("webhook")) {
            return LoadResult.disabled(description + " has no webhook block: the webhook is off", List.of());
        }
        if (root.getValue("webhook").valueType() != ConfigValueType.OBJECT) {
            throw new ConfigException("webhook at " + where(description, root.getValue("webhook"))
                    + ": must be a block { ... }");
        }
        return new WebhookReader(description, root.getConfig("webhook")).read();
    }

    /**
     * Rewrites the flat {@code web.hook.<key>=<value>} lines as HOCON, one output line per input line so that
     * line numbers in messages stay those of the file. Values become quoted strings (HOCON converts them to
     * numbers and booleans where a number or boolean is read); rules become elements of {@code events}.
     */
    private static String translateOldFormat(final String text) {
        final StringBuilder out = new StringBuilder(text.length());
        for (final String line : text.split("\r?\n", -1)) {
            final Matcher m = OLD_LINE.matcher(line);
            if (m.matches()) {
                final String key = m.group(1);
                final String value = m.group(2);
                final Matcher rule = OLD_RULE_KEY.matcher(key);
                if (rule.matches()) {
                    final String event = "on_" + rule.group(1).replace('.', '_');
                    // the value is JSON, which is HOCON: merge it into an object that names the event
                    out.append("webhook.events += {event = ").append(quote(event)).append("} ").append(value);
                } else {
                    final String path = key.equals("body.encoding_of_payload_field") ? "body.encoding" : key;
                    // a header name may itself contain dots: everything after "headers." is the name
                    final List<String> parts = path.startsWith("headers.")
                            ? List.of("headers", path.substring("headers.".length()))
                            : List.of(path.split("\\."));
                    out.append("webhook.").append(ConfigUtil.joinPath(parts)).append(" = ").append(quote(value));
                }
            }
            out.append('\n');
        }
        return out.toString();
    }

    private static String quote(final String value) {
        return ConfigUtil.quoteString(value);
    }

    private static String where(final String description, final ConfigValue value) {
        final int line = value.origin().lineNumber();
        return line > 0 ? description + ":" + line : description;
    }

    /**
     * Reads and validates the {@code webhook} block: the keys of the whole webhook, the endpoint NanoMQ's block
     * itself describes ({@value EndpointConfig#DEFAULT_NAME}, when it has a {@code url}) and every
     * {@code endpoints.<name>} block, collecting every error and warning.
     */
    private static final class WebhookReader {
        private final String description;
        private final Config block;
        private final List<String> errors = new ArrayList<>();
        private final List<String> warnings = new ArrayList<>();

        WebhookReader(final String description, final Config block) {
            this.description = description;
            this.block = block;
        }

        LoadResult read() {
            final BlockReader top = new BlockReader(description, block, "webhook.", errors, warnings);
            final boolean named = block.hasPath("endpoints");
            final boolean nanomqEndpoint = block.hasPath("url") || !named;
            top.warnUnknownKeys(nanomqEndpoint ? ENDPOINT_KEYS : Set.of(), WEBHOOK_KEYS, "endpoints");
            final Boolean enabled = top.bool("enable", true);
            if (Boolean.FALSE.equals(enabled) && errors.isEmpty()) {
                return LoadResult.disabled(description + " sets webhook.enable = false: the webhook is off", warnings);
            }
            final WebhookConfig.Builder b = WebhookConfig.builder().source(description);
            top.duration("shutdown.drain_timeout", false).ifPresent(b::drainTimeout);
            top.string("authenticator_class").ifPresent(b::authenticatorClass);
            top.duration("reload.interval", false).ifPresent(b::reloadInterval);
            top.prometheus(b);
            final List<EndpointConfig> endpoints = new ArrayList<>();
            if (nanomqEndpoint) {
                top.endpoint(EndpointConfig.DEFAULT_NAME).ifPresent(endpoints::add);
            } else {
                for (final String key : ENDPOINT_KEYS) {
                    if (block.hasPath(key)) {
                        top.warn(key, "applies to no endpoint: the webhook block has no url, so it is not an endpoint"
                                + " itself; set it inside webhook.endpoints.<name>");
                    }
                }
            }
            if (named) {
                endpoints.addAll(namedEndpoints());
            }
            if (endpoints.size() > WebhookConfig.MAX_ENDPOINTS) {
                top.error("endpoints", endpoints.size() + " endpoints configured, at most " + WebhookConfig.MAX_ENDPOINTS
                        + " are supported");
            }
            checkDistinctQueueDirs(endpoints);
            checkDistinctMetricNames(endpoints);
            if (!errors.isEmpty()) {
                throw new ConfigException(errors);
            }
            endpoints.forEach(b::endpoint);
            return LoadResult.enabled(b.build(), warnings);
        }

        private List<EndpointConfig> namedEndpoints() {
            final ConfigValue value = block.getValue("endpoints");
            if (value.valueType() != ConfigValueType.OBJECT) {
                errors.add("webhook.endpoints at " + where(description, value) + ": must be a block of named endpoints,"
                        + " endpoints { billing { url = ..., events = [...] } }");
                return List.of();
            }
            final List<EndpointConfig> endpoints = new ArrayList<>();
            // HOCON objects have no order: endpoints are listed by name
            for (final Map.Entry<String, ConfigValue> entry : new TreeMap<>((ConfigObject) value).entrySet()) {
                final String name = entry.getKey();
                final String prefix = "webhook.endpoints." + ConfigUtil.joinPath(name) + ".";
                if (!EndpointConfig.NAME.matcher(name).matches() || name.equals(EndpointConfig.DEFAULT_NAME)) {
                    errors.add(prefix.substring(0, prefix.length() - 1) + " at " + where(description, entry.getValue())
                            + ": an endpoint name is 1 to 64 letters, digits, _ or - (it becomes part of metric names),"
                            + " and not \"" + EndpointConfig.DEFAULT_NAME + "\" (NanoMQ's block itself)");
                    continue;
                }
                if (entry.getValue().valueType() != ConfigValueType.OBJECT) {
                    errors.add(prefix.substring(0, prefix.length() - 1) + " at " + where(description, entry.getValue())
                            + ": must be a block { url = ..., events = [...] }");
                    continue;
                }
                final BlockReader reader = new BlockReader(description, ((ConfigObject) entry.getValue()).toConfig(),
                        prefix, errors, warnings);
                reader.warnUnknownKeys(ENDPOINT_KEYS, Set.of(), null);
                for (final String key : WEBHOOK_KEYS) {
                    if (reader.block.hasPath(key)) {
                        reader.warn(key, "applies to the whole webhook, not to one endpoint: set it in the webhook block");
                    }
                }
                reader.endpoint(name).ifPresent(endpoints::add);
            }
            return endpoints;
        }

        /** Prometheus writes {@code -} as {@code _}: two names that differ only there would be one series. */
        private void checkDistinctMetricNames(final List<EndpointConfig> endpoints) {
            final Map<String, String> names = new HashMap<>();
            for (final EndpointConfig endpoint : endpoints) {
                final String other = names.putIfAbsent(endpoint.name().replace('-', '_'), endpoint.name());
                if (other != null) {
                    errors.add(WebhookConfig.keyPrefix(endpoint.name()) + "url in " + description + ": endpoint names \""
                            + other + "\" and \"" + endpoint.name() + "\" give the same metric names (- is written _);"
                            + " rename one");
                }
            }
        }

        /** Two disk queues in one folder would share one file: refused. */
        private void checkDistinctQueueDirs(final List<EndpointConfig> endpoints) {
            final Map<Path, String> dirs = new HashMap<>();
            for (final EndpointConfig endpoint : endpoints) {
                if (endpoint.queueType() != QueueType.DISK) {
                    continue;
                }
                final Path dir = Objects.requireNonNull(endpoint.queueDir()).toAbsolutePath().normalize();
                final String other = dirs.putIfAbsent(dir, endpoint.name());
                if (other != null) {
                    errors.add(WebhookConfig.keyPrefix(endpoint.name()) + "queue.dir in " + description + ": \"" + dir
                            + "\" is also the queue.dir of endpoint " + other + "; each disk queue needs its own folder");
                }
            }
        }
    }

    /** Reads and validates the keys of one endpoint (or of the webhook block itself), collecting problems. */
    private static final class BlockReader {
        private final String description;
        private final Config block;
        /** How keys of this block are written in messages: {@code webhook.} or {@code webhook.endpoints.<name>.}. */
        private final String prefix;
        private final List<String> errors;
        private final List<String> warnings;

        BlockReader(final String description, final Config block, final String prefix, final List<String> errors,
                    final List<String> warnings) {
            this.description = description;
            this.block = block;
            this.prefix = prefix;
            this.errors = errors;
            this.warnings = warnings;
        }

        /** The endpoint this block describes, or empty when it has errors (collected). */
        Optional<EndpointConfig> endpoint(final String name) {
            final int before = errors.size();
            final URI url = url();
            final EndpointConfig.Builder b = EndpointConfig.builder(name, url == null ? URI.create("http://invalid/") : url);
            headers(b);
            choice("body.encoding", PayloadEncoding::fromConfigName, "plain, base64, base62").ifPresent(b::encoding);
            positiveInt("pool_size").ifPresent(b::poolSize);
            positiveInt("pipelining").ifPresent(b::pipelining);
            final Optional<HttpClientKind> client = choice("http.client", n -> enumValue(HttpClientKind.class, n),
                    "nio, apache");
            client.ifPresent(b::httpClient);
            if (block.hasPath("pipelining") && client.orElse(null) == HttpClientKind.APACHE) {
                warn("pipelining", "applies to http.client = nio only; the apache client sends one request per"
                        + " connection at a time");
            }
            final String timeoutKey = block.hasPath("cancel_timeout") ? "cancel_timeout" : "cancel_time";
            positiveDuration(timeoutKey).ifPresent(b::cancelTimeout);
            tls(url).ifPresent(b::tls);
            rules(b);
            positiveInt("queue.capacity").ifPresent(b::queueCapacity);
            choice("queue.overflow", n -> enumValue(QueueOverflow.class, n), "drop_oldest, drop_newest")
                    .ifPresent(b::queueOverflow);
            final Optional<QueueType> queueType = choice("queue.type", n -> enumValue(QueueType.class, n), "memory, disk");
            queueType.ifPresent(b::queueType);
            final Optional<Path> queueDir = string("queue.dir").map(Paths::get);
            queueDir.ifPresent(b::queueDir);
            if (queueType.isPresent() && queueType.get() == QueueType.DISK) {
                if (queueDir.isEmpty()) {
                    error("queue.type", "\"disk\" needs queue.dir, the folder that holds the queue file");
                } else {
                    writableFolder("queue.dir", queueDir.get());
                }
            }
            positiveBytes("queue.max_bytes").ifPresent(b::queueMaxBytes);
            positiveDuration("queue.sync_interval").ifPresent(b::queueSyncInterval);
            positiveInt("retry.max_attempts").ifPresent(b::maxAttempts);
            final Optional<Duration> initial = positiveDuration("retry.initial_backoff");
            final Optional<Duration> max = positiveDuration("retry.max_backoff");
            initial.ifPresent(b::initialBackoff);
            max.ifPresent(b::maxBackoff);
            final Duration effectiveInitial = initial.orElse(EndpointConfig.DEFAULT_INITIAL_BACKOFF);
            final Duration effectiveMax = max.orElse(EndpointConfig.DEFAULT_MAX_BACKOFF);
            if (effectiveMax.compareTo(effectiveInitial) < 0) {
                error(max.isPresent() ? "retry.max_backoff" : "retry.initial_backoff",
                        "retry.max_backoff (" + effectiveMax.toMillis() + "ms) must not be below retry.initial_backoff ("
                                + effectiveInitial.toMillis() + "ms)");
            }
            positiveInt("circuit.failure_threshold").ifPresent(b::circuitThreshold);
            choice("ordering", n -> enumValue(Ordering.class, n), "none, per_client").ifPresent(b::ordering);
            positiveInt("batch.max_events").ifPresent(b::batchMaxEvents);
            duration("batch.max_delay", false).ifPresent(b::batchMaxDelay);
            signingSecret().ifPresent(b::signingSecret);
            request(b);
            deadLetters(b, queueType.orElse(QueueType.MEMORY));
            rateLimit().ifPresent(b::rateLimit);
            if (errors.size() > before) {
                return Optional.empty();
            }
            return Optional.of(b.build());
        }

        /**
         * The request template keys, compiled here as the endpoint will compile them, so that an unknown
         * placeholder or a body that is not JSON is reported with its file and line.
         */
        private void request(final EndpointConfig.Builder b) {
            final Optional<String> method = string("method");
            final Optional<String> path = string("path");
            final Optional<String> body = string("body.template");
            final Boolean properties = bool("body.properties", false);
            method.ifPresent(b::method);
            path.ifPresent(b::path);
            body.ifPresent(b::bodyTemplate);
            if (properties != null) {
                b.bodyProperties(properties);
            }
            final EndpointConfig.Builder probe = b.copy();
            try {
                final io.mqttwebhook.request.RequestTemplate request = io.mqttwebhook.request.RequestTemplate.compile(
                        method.orElse(null), path.orElse(null), probe.headers(), body.orElse(null), probe.eventTypes());
                if (request.perEvent() && probe.batchMaxEvents() > 1) {
                    error("batch.max_events", "must be 1 when the path or a header names an event field: a request"
                            + " carries one event's url and headers");
                }
            } catch (final io.mqttwebhook.request.RequestTemplate.KeyException e) {
                final String key = e.key();
                if (key.startsWith("headers.")) {
                    final ConfigValue header = headerValue(key.substring("headers.".length()));
                    errorAt(key, header, e.getMessage());
                } else {
                    error(key, e.getMessage());
                }
            }
        }

        /** The value of header {@code name} as the file has it (names may contain dots). */
        private ConfigValue headerValue(final String name) {
            ConfigValue value = block.getValue("headers");
            for (final String part : name.split("\\.")) {
                if (!(value instanceof ConfigObject) || !((ConfigObject) value).containsKey(part)) {
                    return block.getValue("headers");
                }
                value = ((ConfigObject) value).get(part);
            }
            return value;
        }

        /**
         * The queue folder must be usable by the broker: an existing writable folder, or one that can be
         * created in an existing writable parent. Nothing is created here (the check command reads only).
         */
        private void writableFolder(final String key, final Path dir) {
            final Path absolute = dir.toAbsolutePath();
            if (Files.exists(absolute)) {
                if (!Files.isDirectory(absolute) || !Files.isWritable(absolute)) {
                    error(key, "\"" + dir + "\" is not a writable folder");
                }
                return;
            }
            Path parent = absolute.getParent();
            while (parent != null && !Files.exists(parent)) {
                parent = parent.getParent();
            }
            if (parent == null || !Files.isDirectory(parent) || !Files.isWritable(parent)) {
                error(key, "\"" + dir + "\" cannot be created: " + (parent == null ? "no existing parent"
                        : parent + " is not a writable folder"));
            }
        }

        /**
         * {@code dead_letter.*}: on with a dir, or by default for a disk queue (in its folder); off for a memory
         * queue without a dir, or with {@code enable = false}.
         */
        private void deadLetters(final EndpointConfig.Builder b, final QueueType queueType) {
            final Boolean enable = block.hasPath("dead_letter.enable") ? bool("dead_letter.enable", true) : null;
            b.deadLetterEnabled(enable);
            final Optional<Path> dir = string("dead_letter.dir").filter(d -> !d.isBlank()).map(Paths::get);
            dir.ifPresent(b::deadLetterDir);
            if (dir.isPresent() && !Boolean.FALSE.equals(enable)) {
                writableFolder("dead_letter.dir", dir.get());
            }
            positiveBytes("dead_letter.max_bytes").ifPresent(b::deadLetterMaxBytes);
            if (Boolean.TRUE.equals(enable) && dir.isEmpty() && queueType != QueueType.DISK) {
                error("dead_letter.enable", "true needs dead_letter.dir, the folder of the dead-letter files (a disk"
                        + " queue has one by default: <queue.dir>/" + EndpointConfig.DEFAULT_DEAD_LETTER_FOLDER + ")");
            }
        }

        /**
         * {@code rate_limit { events_per_second = 100 }} or {@code { requests_per_second = 10 }}, with an optional
         * {@code burst}.
         */
        private Optional<RateLimit> rateLimit() {
            if (!block.hasPath("rate_limit")) {
                return Optional.empty();
            }
            if (block.getValue("rate_limit").valueType() != ConfigValueType.OBJECT) {
                error("rate_limit", rendered("rate_limit") + " is not a block: rate_limit { events_per_second = 100 }"
                        + " or rate_limit { requests_per_second = 10, burst = 1 }");
                return Optional.empty();
            }
            final Optional<Double> events = positiveNumber("rate_limit.events_per_second");
            final Optional<Double> requests = positiveNumber("rate_limit.requests_per_second");
            final Optional<Double> burst = positiveNumber("rate_limit.burst");
            if (events.isPresent() && requests.isPresent()) {
                error("rate_limit.requests_per_second", "set either rate_limit.events_per_second or"
                        + " rate_limit.requests_per_second, not both");
                return Optional.empty();
            }
            if (events.isEmpty() && requests.isEmpty()) {
                if (!block.hasPath("rate_limit.events_per_second") && !block.hasPath("rate_limit.requests_per_second")) {
                    error("rate_limit", "needs events_per_second or requests_per_second, e.g."
                            + " rate_limit { events_per_second = 100 }");
                }
                return Optional.empty();
            }
            if (burst.isPresent() && burst.get() < 1) {
                error("rate_limit.burst", rendered("rate_limit.burst") + " must be at least 1");
                return Optional.empty();
            }
            final RateLimit.Unit unit = events.isPresent() ? RateLimit.Unit.EVENTS : RateLimit.Unit.REQUESTS;
            final double rate = events.isPresent() ? events.get() : requests.get();
            return Optional.of(burst.isPresent() ? RateLimit.of(unit, rate, burst.get()) : RateLimit.of(unit, rate));
        }

        /** A number greater than 0, decimals allowed ("0.5" per second). */
        private Optional<Double> positiveNumber(final String key) {
            if (!block.hasPath(key)) {
                return Optional.empty();
            }
            try {
                final double value = block.getDouble(key);
                if (!(value > 0) || Double.isInfinite(value)) {
                    error(key, rendered(key) + " must be a number greater than 0");
                    return Optional.empty();
                }
                return Optional.of(value);
            } catch (final com.typesafe.config.ConfigException e) {
                error(key, rendered(key) + " must be a number greater than 0");
                return Optional.empty();
            }
        }

        /**
         * Warns about every key that is neither an endpoint key, a webhook key nor {@code nested} (a block read
         * elsewhere): a typo must not pass silently.
         */
        void warnUnknownKeys(final Set<String> endpointKeys, final Set<String> webhookKeys,
                             final @Nullable String nested) {
            for (final Map.Entry<String, ConfigValue> entry : block.entrySet()) {
                final List<String> path = ConfigUtil.splitPath(entry.getKey());
                final String first = path.get(0);
                final String key = String.join(".", path);
                if ((first.equals("headers") && endpointKeys.contains("url")) || endpointKeys.contains(key)
                        || webhookKeys.contains(key) || WEBHOOK_KEYS.contains(key) || first.equals(nested)) {
                    continue;
                }
                warnings.add(prefix + key + " at " + where(description, entry.getValue()) + ": unknown key, ignored");
            }
        }

        /** {@code metrics.prometheus.port} and {@code .bind}: the Moquette plugin's Prometheus endpoint. */
        void prometheus(final WebhookConfig.Builder b) {
            final String portKey = "metrics.prometheus.port";
            final String bindKey = "metrics.prometheus.bind";
            if (block.hasPath(portKey)) {
                int port = -1;
                try {
                    port = block.getInt(portKey);
                } catch (final com.typesafe.config.ConfigException notAWholeNumber) {
                    // reported below
                }
                if (port >= 0 && port <= 65535) {
                    b.prometheusPort(port);
                } else {
                    error(portKey, rendered(portKey) + " is not a port: a whole number from 1 to 65535"
                            + " (0: any free port, logged at start)");
                }
            }
            final Optional<String> bind = string(bindKey).map(String::trim);
            if (bind.isPresent()) {
                if (bindAddress(bind.get())) {
                    b.prometheusBind(bind.get());
                } else {
                    error(bindKey, rendered(bindKey) + " is not an IP address or host name: e.g. \"127.0.0.1\""
                            + " (this machine only, the default) or \"0.0.0.0\" (every interface)");
                }
                if (!block.hasPath(portKey)) {
                    warn(bindKey, "applies only with " + prefix + portKey + ", which turns the Prometheus endpoint on");
                }
            }
        }

        private static final Pattern IPV4 = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}");
        private static final Pattern HOST_NAME = Pattern.compile(
                "(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");

        /** An IPv4 or IPv6 literal, or a host name; checked without a DNS lookup (the check command reads only). */
        private static boolean bindAddress(final String value) {
            if (IPV4.matcher(value).matches()) {
                for (final String octet : value.split("\\.")) {
                    if (Integer.parseInt(octet) > 255) {
                        return false;
                    }
                }
                return true;
            }
            if (value.indexOf(':') >= 0) {
                final String literal = value.startsWith("[") && value.endsWith("]")
                        ? value.substring(1, value.length() - 1) : value;
                if (!literal.matches("[0-9A-Fa-f:.]+")) {
                    return false;
                }
                try {
                    // a literal with ':' is parsed, never looked up
                    return java.net.InetAddress.getByName(literal) instanceof java.net.Inet6Address;
                } catch (final java.net.UnknownHostException e) {
                    return false;
                }
            }
            return !value.matches("[0-9.]+") && HOST_NAME.matcher(value).matches();
        }

        private @Nullable URI url() {
            if (!block.hasPath("url")) {
                errors.add(prefix + "url in " + description + ": missing; the endpoint to POST to is required,"
                        + " e.g. url = \"http://127.0.0.1:8080/webhook\"");
                return null;
            }
            final Optional<String> text = string("url");
            if (text.isEmpty()) {
                return null;
            }
            final String value = text.get();
            final URI uri;
            try {
                uri = new URI(value);
            } catch (final URISyntaxException e) {
                error("url", rendered("url") + " is not a valid URL: " + e.getReason());
                return null;
            }
            final String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                error("url", rendered("url") + " must start with http:// or https://");
                return null;
            }
            if (uri.getHost() == null || uri.getHost().isEmpty()) {
                final String hint = value.endsWith(":") || value.endsWith("//")
                        ? " (an unquoted // starts a comment in this format: quote the URL)" : "";
                error("url", rendered("url") + " has no host" + hint);
                return null;
            }
            if (uri.getRawFragment() != null) {
                warn("url", "the fragment #" + uri.getRawFragment() + " is not sent");
            }
            return uri;
        }

        private void headers(final EndpointConfig.Builder b) {
            if (!block.hasPath("headers")) {
                return;
            }
            final ConfigValue value = block.getValue("headers");
            if (value.valueType() != ConfigValueType.OBJECT) {
                error("headers", "must be a block of name = value pairs, found " + rendered("headers"));
                return;
            }
            addHeaders(b, "", (ConfigObject) value);
        }

        private void addHeaders(final EndpointConfig.Builder b, final String namePrefix, final ConfigObject object) {
            // HOCON objects are unordered: send headers sorted by name, the same on every start
            for (final Map.Entry<String, ConfigValue> entry : new TreeMap<>(object).entrySet()) {
                final String name = namePrefix + entry.getKey();
                final ConfigValue value = entry.getValue();
                final String key = "headers." + name;
                if (value.valueType() == ConfigValueType.OBJECT) {
                    addHeaders(b, name + ".", (ConfigObject) value);
                } else if (value.valueType() == ConfigValueType.LIST || value.valueType() == ConfigValueType.NULL) {
                    errorAt(key, value, "a header value must be a string, number or boolean, found "
                            + value.render(ConfigRenderOptions.concise()));
                } else if (!HEADER_NAME.matcher(name).matches()) {
                    errorAt(key, value, "\"" + name + "\" is not a valid HTTP header name");
                } else {
                    final String text = String.valueOf(value.unwrapped());
                    if (text.indexOf('\r') >= 0 || text.indexOf('\n') >= 0) {
                        errorAt(key, value, "a header value must not contain line breaks");
                    } else {
                        b.header(name, text);
                    }
                }
            }
        }

        private Optional<TlsSettings> tls(final @Nullable URI url) {
            if (!block.hasPath("ssl")) {
                return Optional.empty();
            }
            if (block.getValue("ssl").valueType() != ConfigValueType.OBJECT) {
                error("ssl", "must be a block { enable, cacertfile, certfile, keyfile, key_password, verify }");
                return Optional.empty();
            }
            final Boolean enable = bool("ssl.enable", true);
            if (!Boolean.TRUE.equals(enable)) {
                return Optional.empty();
            }
            if (url != null && !"https".equalsIgnoreCase(url.getScheme())) {
                warn("ssl", "the ssl block is ignored: the url is not https://");
                return Optional.empty();
            }
            final Path ca = string("ssl.cacertfile").map(Paths::get).orElse(null);
            final Path cert = string("ssl.certfile").map(Paths::get).orElse(null);
            final Path keyFile = string("ssl.keyfile").map(Paths::get).orElse(null);
            final char[] password = string("ssl.key_password").map(String::toCharArray).orElse(null);
            final Boolean verify = bool("ssl.verify", true);
            if (verify == null) {
                return Optional.empty();
            }
            try {
                final String summary = "tls(verify=" + verify + (ca == null ? "" : ", ca=" + ca)
                        + (cert == null ? "" : ", client certificate=" + cert) + ")";
                return Optional.of(new TlsSettings(PemTls.context(ca, cert, keyFile, password, verify), verify, summary));
            } catch (final PemTls.PemException e) {
                error(block.hasPath(e.key) ? e.key : "ssl", e.getMessage());
                return Optional.empty();
            }
        }

        private void rules(final EndpointConfig.Builder b) {
            if (!block.hasPath("events")) {
                warn(null, "no events are configured: nothing will be posted");
                return;
            }
            final ConfigValue value = block.getValue("events");
            if (value.valueType() != ConfigValueType.LIST) {
                error("events", "must be a list of rules [ { event = \"on_message_publish\", topic = \"a/#\" } ]");
                return;
            }
            final ConfigList list = (ConfigList) value;
            for (int i = 0; i < list.size(); i++) {
                final String key = "events[" + i + "]";
                final ConfigValue element = list.get(i);
                if (element.valueType() != ConfigValueType.OBJECT) {
                    errorAt(key, element, "a rule must be a block { event = ..., topic = ... }, found "
                            + element.render(ConfigRenderOptions.concise()));
                    continue;
                }
                final ConfigObject rule = (ConfigObject) element;
                for (final String ruleKey : rule.keySet()) {
                    if (!RULE_KEYS.contains(ruleKey)) {
                        warnings.add(prefix + key + "." + ruleKey + " at " + where(description, rule.get(ruleKey))
                                + ": unknown key, ignored (a rule has event and topic)");
                    }
                }
                final ConfigValue eventValue = rule.containsKey("event") ? rule.get("event") : rule.get("action");
                if (eventValue == null) {
                    errorAt(key, element, "a rule needs event = <name>; one of " + EventType.allConfigNames());
                    continue;
                }
                final String eventName = String.valueOf(eventValue.unwrapped());
                final Optional<EventType> type = eventValue.valueType() == ConfigValueType.STRING
                        ? EventType.fromConfigName(eventName) : Optional.empty();
                if (type.isEmpty()) {
                    errorAt(key + ".event", eventValue, eventValue.render(ConfigRenderOptions.concise())
                            + " is not one of " + EventType.allConfigNames());
                    continue;
                }
                final ConfigValue action = rule.get("action");
                if (action != null && rule.containsKey("event")
                        && !type.equals(EventType.fromConfigName(String.valueOf(action.unwrapped())))) {
                    errorAt(key + ".action", action, action.render(ConfigRenderOptions.concise())
                            + " does not match the event of the key, " + type.get().configName());
                    continue;
                }
                String topic = null;
                final ConfigValue topicValue = rule.get("topic");
                if (topicValue != null) {
                    if (topicValue.valueType() != ConfigValueType.STRING) {
                        errorAt(key + ".topic", topicValue, "must be a topic filter string, found "
                                + topicValue.render(ConfigRenderOptions.concise()));
                        continue;
                    }
                    topic = (String) topicValue.unwrapped();
                    final Optional<String> problem = TopicFilters.problem(topic);
                    if (problem.isPresent()) {
                        errorAt(key + ".topic", topicValue, topicValue.render(ConfigRenderOptions.concise())
                                + " is not a valid topic filter: " + problem.get());
                        continue;
                    }
                    if (!type.get().hasTopic()) {
                        warnings.add(prefix + key + ".topic at " + where(description, topicValue) + ": "
                                + type.get().configName() + " has no topic; the filter is ignored");
                        topic = null;
                    }
                }
                b.rule(new Rule(type.get(), topic));
            }
        }

        private Optional<byte[]> signingSecret() {
            final Optional<String> secret = string("signing.secret");
            if (secret.isEmpty()) {
                return Optional.empty();
            }
            final String value = secret.get().trim();
            // never echo the secret itself
            if (!value.startsWith("whsec_")) {
                error("signing.secret", "must be written whsec_<base64> (Standard Webhooks)");
                return Optional.empty();
            }
            try {
                final byte[] key = Base64.getDecoder().decode(value.substring("whsec_".length()));
                if (key.length < 16) {
                    error("signing.secret", "the secret must decode to at least 16 bytes, found " + key.length);
                    return Optional.empty();
                }
                return Optional.of(key);
            } catch (final IllegalArgumentException e) {
                error("signing.secret", "the part after whsec_ is not valid base64");
                return Optional.empty();
            }
        }

        private Optional<String> string(final String key) {
            if (!block.hasPath(key)) {
                return Optional.empty();
            }
            final ConfigValue value = block.getValue(key);
            if (value.valueType() == ConfigValueType.OBJECT || value.valueType() == ConfigValueType.LIST) {
                error(key, "must be a string, found " + rendered(key));
                return Optional.empty();
            }
            return Optional.of(String.valueOf(value.unwrapped()));
        }

        private @Nullable Boolean bool(final String key, final boolean fallback) {
            if (!block.hasPath(key)) {
                return fallback;
            }
            try {
                return block.getBoolean(key);
            } catch (final com.typesafe.config.ConfigException e) {
                error(key, rendered(key) + " is not one of true, false");
                return null;
            }
        }

        private Optional<Integer> positiveInt(final String key) {
            if (!block.hasPath(key)) {
                return Optional.empty();
            }
            try {
                final int value = block.getInt(key);
                if (value <= 0) {
                    error(key, rendered(key) + " must be a whole number greater than 0");
                    return Optional.empty();
                }
                return Optional.of(value);
            } catch (final com.typesafe.config.ConfigException e) {
                error(key, rendered(key) + " must be a whole number greater than 0");
                return Optional.empty();
            }
        }

        /** A number of bytes or a HOCON size ("512MB"). */
        private Optional<Long> positiveBytes(final String key) {
            if (!block.hasPath(key)) {
                return Optional.empty();
            }
            try {
                final long value = block.getBytes(key);
                if (value <= 0) {
                    error(key, rendered(key) + " must be greater than 0");
                    return Optional.empty();
                }
                return Optional.of(value);
            } catch (final com.typesafe.config.ConfigException e) {
                error(key, rendered(key) + " is not a size: bytes (1073741824) or with a unit (\"1GB\", \"512MB\")");
                return Optional.empty();
            }
        }

        private Optional<Duration> positiveDuration(final String key) {
            return duration(key, true);
        }

        /** A number of milliseconds or a HOCON duration ("5s", "200ms"). */
        private Optional<Duration> duration(final String key, final boolean positive) {
            if (!block.hasPath(key)) {
                return Optional.empty();
            }
            try {
                final Duration value = block.getDuration(key);
                if (value.isNegative() || (positive && value.isZero())) {
                    error(key, rendered(key) + " must be " + (positive ? "greater than 0" : "0 or more"));
                    return Optional.empty();
                }
                return Optional.of(value);
            } catch (final com.typesafe.config.ConfigException e) {
                error(key, rendered(key) + " is not a duration: milliseconds (5000) or with a unit (\"5s\", \"200ms\")");
                return Optional.empty();
            }
        }

        private <T> Optional<T> choice(final String key, final Function<String, Optional<T>> lookup,
                                       final String allowed) {
            final Optional<String> text = string(key);
            if (text.isEmpty()) {
                return Optional.empty();
            }
            final Optional<T> value = lookup.apply(text.get());
            if (value.isEmpty()) {
                error(key, rendered(key) + " is not one of " + allowed);
            }
            return value;
        }

        private static <E extends Enum<E>> Optional<E> enumValue(final Class<E> type, final String name) {
            for (final E constant : type.getEnumConstants()) {
                if (constant.name().equalsIgnoreCase(name.trim())) {
                    return Optional.of(constant);
                }
            }
            return Optional.empty();
        }

        private String rendered(final String key) {
            return block.getValue(key).render(ConfigRenderOptions.concise());
        }

        private void error(final String key, final String message) {
            errorAt(key, block.getValue(key), message);
        }

        private void errorAt(final String key, final ConfigValue value, final String message) {
            errors.add(prefix + key + " at " + where(description, value) + ": " + message);
        }

        private void warn(final @Nullable String key, final String message) {
            if (key == null) {
                warnings.add(prefix.substring(0, prefix.length() - 1) + " in " + description + ": " + message);
            } else {
                warnings.add(prefix + key + " at " + where(description, block.getValue(key)) + ": " + message);
            }
        }
    }
}
