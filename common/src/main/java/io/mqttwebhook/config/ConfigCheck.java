package io.mqttwebhook.config;

import io.mqttwebhook.command.QueueCommand;
import io.mqttwebhook.command.ReplayCommand;
import io.mqttwebhook.rule.Rule;

import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.Optional;

/**
 * The configuration check a user runs before deploying, like {@code nginx -t}:
 * {@code java -jar mqtt-webhook-check.jar <file>} prints what would be loaded, or every error.
 * Exit status: 0 loaded, 1 errors, 2 usage, 3 the file turns the webhook off. The same jar runs the operations
 * commands: {@code replay} ({@link ReplayCommand}) and {@code queue} ({@link QueueCommand}).
 */
public final class ConfigCheck {

    public static final int OK = 0;
    public static final int ERRORS = 1;
    public static final int USAGE = 2;
    public static final int OFF = 3;

    private ConfigCheck() {
    }

    public static void main(final String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the check, printing to the given streams; returns the exit status. */
    public static int run(final String[] args, final PrintStream out, final PrintStream err) {
        if (args.length > 0 && args[0].equals("replay")) {
            return ReplayCommand.main(Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        if (args.length > 0 && args[0].equals("queue")) {
            return QueueCommand.run(Arrays.copyOfRange(args, 1, args.length), out, err);
        }
        final Path file;
        if (args.length == 1 && !args[0].startsWith("-")) {
            file = Paths.get(args[0]);
        } else if (args.length == 0 && ConfigLoader.overriddenLocation().isPresent()) {
            file = ConfigLoader.overriddenLocation().get();
        } else {
            err.println("usage: java -jar mqtt-webhook-check.jar <webhook.conf | nanomq.conf>");
            err.println("  (without an argument: the file named by -D" + ConfigLoader.SYSTEM_PROPERTY + " or $"
                    + ConfigLoader.ENVIRONMENT_VARIABLE + ")");
            err.println("       java -jar mqtt-webhook-check.jar replay <dead-letter folder> --config <file> [options]");
            err.println("       java -jar mqtt-webhook-check.jar queue <queue.dir> [--peek N]");
            return USAGE;
        }
        final LoadResult result;
        try {
            result = ConfigLoader.load(file);
        } catch (final ConfigException e) {
            err.println(file + ": " + e.problems().size() + " error(s); the webhook would not start:");
            for (final String problem : e.problems()) {
                err.println("  error: " + problem);
            }
            return ERRORS;
        }
        for (final String warning : result.warnings()) {
            out.println("  warning: " + warning);
        }
        final Optional<WebhookConfig> loaded = result.config();
        if (loaded.isEmpty()) {
            out.println(file + ": the webhook would be off: " + result.disabledReason());
            return OFF;
        }
        print(file, loaded.get(), out);
        return OK;
    }

    private static void print(final Path file, final WebhookConfig config, final PrintStream out) {
        out.println(file + ": OK, the webhook would be on, " + config.endpoints().size() + " endpoint(s)");
        for (final EndpointConfig c : config.endpoints()) {
            print(c, out);
        }
        out.println("shutdown:     drain up to " + config.drainTimeout().toMillis() + "ms");
        out.println("reload:       " + (config.reloadInterval().isZero() ? "off"
                : "the file is checked every " + config.reloadInterval().toMillis() + "ms"));
        out.println("prometheus:   " + (config.prometheusPort().isPresent()
                ? "http://" + hostForUrl(config.prometheusBind()) + ":" + config.prometheusPort().getAsInt() + "/metrics"
                        + (config.prometheusPort().getAsInt() == 0 ? " (0: any free port, logged at start)" : "")
                        + " on Moquette; on HiveMQ, HiveMQ's Prometheus extension exports the same metrics"
                : "off (metrics.prometheus.port)"));
    }

    private static String hostForUrl(final String bind) {
        return bind.indexOf(':') >= 0 && !bind.startsWith("[") ? "[" + bind + "]" : bind;
    }

    private static void print(final EndpointConfig c, final PrintStream out) {
        final String block = WebhookConfig.keyPrefix(c.name());
        out.println("endpoint " + c.name() + " (" + (c.name().equals(EndpointConfig.DEFAULT_NAME) ? "the webhook block"
                : block.substring(0, block.length() - 1)) + ")");
        out.println("  url:        " + c.urlForLog());
        if (!c.headers().isEmpty()) {
            // names only: values may carry credentials
            out.println("  headers:    " + String.join(", ", c.headers().keySet()));
        }
        out.println("  encoding:   " + c.encoding().configName() + (c.bodyProperties() ? ", MQTT 5 properties in bodies" : ""));
        final java.util.List<String> request = c.request().describe();
        if (request.isEmpty()) {
            out.println("  request:    POST to the url, NanoMQ's body");
        } else {
            out.println("  request:    (templates compiled; «literal text», ${placeholder} and how it is written)");
            for (final String line : request) {
                out.println("              " + line);
            }
        }
        out.println("  pool_size:  " + c.poolSize() + " requests in flight, cancel_timeout " + c.cancelTimeout().toMillis() + "ms");
        out.println("  client:     " + c.httpClient().configName() + ", up to " + c.poolSize() + " connection(s)"
                + (c.httpClient() != HttpClientKind.NIO ? "" : c.pipelining() == 1 ? ", no pipelining"
                : ", up to " + c.pipelining() + " pipelined request(s) per connection while the endpoint answers"
                + " within 2 ms"));
        if (c.tls() != null) {
            out.println("  tls:        " + c.tls());
        }
        out.println("  events:     " + c.rules().stream().map(Rule::event).distinct().count() + " event(s), "
                + c.rules().size() + " rule(s)");
        for (final Rule rule : c.rules()) {
            out.println("              " + rule.event().configName()
                    + (rule.topic() == null ? "" : "  topic " + rule.topic()));
        }
        if (c.queueType() == QueueType.DISK) {
            out.println("  queue:      disk in " + c.queueDir() + ", up to " + c.queueMaxBytes() + " bytes, committed every "
                    + c.queueSyncInterval().toMillis() + "ms, overflow " + lower(c.queueOverflow()));
        } else {
            out.println("  queue:      memory, capacity " + c.queueCapacity() + " events, overflow " + lower(c.queueOverflow()));
        }
        out.println("  dead_letter: " + (c.deadLetterDir() == null ? "off" : "in " + c.deadLetterDir() + ", up to "
                + c.deadLetterMaxBytes() + " bytes"));
        out.println("  retry:      " + c.maxAttempts() + " attempt(s) while the endpoint answers, backoff "
                + c.initialBackoff().toMillis() + "ms to " + c.maxBackoff().toMillis() + "ms; circuit opens after "
                + c.circuitThreshold() + " attempts without an answer");
        out.println("  rate_limit: " + (c.rateLimit() == null ? "off" : c.rateLimit()));
        out.println("  ordering:   " + lower(c.ordering()) + ", batch " + c.batchMaxEvents() + " event(s) per request"
                + (c.batchMaxEvents() > 1 ? " within " + c.batchMaxDelay().toMillis() + "ms" : ""));
        out.println("  signing:    " + (c.signingSecret() == null ? "off" : "on (Standard Webhooks)"));
    }

    private static String lower(final Enum<?> value) {
        return value.name().toLowerCase(java.util.Locale.ROOT);
    }
}
