package io.mqttwebhook.command;

import io.mqttwebhook.config.ConfigException;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.LoadResult;
import io.mqttwebhook.config.RateLimit;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.delivery.DeadLetter;
import io.mqttwebhook.delivery.DeadLetterFiles;
import io.mqttwebhook.delivery.RateLimiter;
import io.mqttwebhook.delivery.Resender;
import io.mqttwebhook.event.EventBodies;
import io.mqttwebhook.event.EventCodec;
import io.mqttwebhook.event.WebhookEvent;
import io.mqttwebhook.metrics.DeadLetterCause;
import org.jspecify.annotations.Nullable;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code java -jar mqtt-webhook-check.jar replay <dir|file> ...}: posts dead letters again, each with its body
 * as it was given up and its webhook-id, with the headers, TLS and signing of its endpoint in the configuration
 * file (or to {@code --url}), at a bounded rate, printing progress. Each line delivered (2xx) is marked in
 * {@code <file>.replayed} before the next is sent, so a second replay skips it; a stop (Ctrl-C, SIGTERM) lets
 * the request under way end and be marked, then stops: the marks always say what was delivered. Exit status:
 * 0 everything selected was delivered, 1 something was not (or the replay was stopped), 2 usage.
 */
public final class ReplayCommand {

    public static final int OK = 0;
    public static final int NOT_ALL = 1;
    public static final int USAGE = 2;
    static final double DEFAULT_RATE = 20;
    private static final int MAX_CONSECUTIVE_FAILURES = 10;
    private static final int MAX_THROTTLED_RETRIES = 5;
    private static final long MAX_RETRY_AFTER_MILLIS = TimeUnit.MINUTES.toMillis(1);
    private static final Pattern AGO = Pattern.compile("(\\d+)\\s*(s|m|h|d)");

    private final PrintStream out;
    private final PrintStream err;
    private volatile boolean stopRequested;
    private final Object stopSignal = new Object();
    private final CountDownLatch finished = new CountDownLatch(1);
    // options
    private @Nullable Path source;
    private @Nullable Path configFile;
    private @Nullable String endpointName;
    private @Nullable URI url;
    private @Nullable Instant since;
    private final Set<String> causes = new LinkedHashSet<>();
    private double rate = DEFAULT_RATE;
    private boolean dryRun;
    // tallies
    private long delivered;
    private long failed;
    private long alreadyReplayed;
    private long filteredOut;
    private long unreadable;
    private long unsendable;

    ReplayCommand(final PrintStream out, final PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Runs the command from the check jar's main: a Ctrl-C or SIGTERM stops it in a consistent state. */
    public static int main(final String[] args, final PrintStream out, final PrintStream err) {
        final ReplayCommand command = new ReplayCommand(out, err);
        final Thread hook = new Thread(command::stopAndWait, "mqtt-webhook-replay-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return command.run(args);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (final IllegalStateException shuttingDown) {
                // the hook is running: it waits for this run to finish, which it now has
            }
        }
    }

    /** Asks the replay to stop after the request under way (from another thread, or a shutdown hook). */
    void requestStop() {
        synchronized (stopSignal) {
            stopRequested = true;
            stopSignal.notifyAll();
        }
    }

    /** Waits up to {@code millis} unless a stop is requested meanwhile. */
    private void awaitStop(final long millis) throws InterruptedException {
        synchronized (stopSignal) {
            if (!stopRequested && millis > 0) {
                stopSignal.wait(millis);
            }
        }
    }

    private void stopAndWait() {
        requestStop();
        try {
            // the request under way ends within its cancel_timeout; then its line is marked
            finished.await(30, TimeUnit.SECONDS);
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs the replay with {@code args} (those after {@code replay}); returns the exit status. */
    int run(final String[] args) {
        try {
            final String problem = parse(args);
            if (problem != null) {
                err.println("replay: " + problem);
                usage();
                return USAGE;
            }
            return replay();
        } catch (final IOException e) {
            err.println("replay: " + e);
            return NOT_ALL;
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            return NOT_ALL;
        } finally {
            finished.countDown();
        }
    }

    private void usage() {
        err.println("usage: java -jar mqtt-webhook-check.jar replay <dead-letter folder or file> [options]");
        err.println("  --config FILE     the webhook configuration: url, headers, TLS and signing of each line's endpoint");
        err.println("  --endpoint NAME   send every line with this endpoint of --config instead of its own");
        err.println("  --url URL         post to this url (with --config: still its headers and signing)");
        err.println("  --since TIME      only dead letters written since TIME: 2026-12-01T10:00:00Z, 2026-12-01, or 2h, 30m ago");
        err.println("  --cause C[,C]     only these causes: " + String.join(", ", causeNames()));
        err.println("  --rate N          requests per second, default " + (long) DEFAULT_RATE);
        err.println("  --dry-run         print what would be sent; send and mark nothing");
    }

    private static List<String> causeNames() {
        final List<String> names = new ArrayList<>();
        for (final DeadLetterCause cause : DeadLetterCause.values()) {
            names.add(cause.configName());
        }
        return names;
    }

    /** Reads the options; returns what is wrong, or null. */
    private @Nullable String parse(final String[] args) {
        for (int i = 0; i < args.length; i++) {
            final String arg = args[i];
            if (arg.equals("--dry-run")) {
                dryRun = true;
                continue;
            }
            if (!arg.startsWith("--")) {
                if (source != null) {
                    return "one folder or file, found also " + arg;
                }
                source = Paths.get(arg);
                continue;
            }
            if (i + 1 >= args.length) {
                return arg + " needs a value";
            }
            final String value = args[++i];
            switch (arg) {
                case "--config":
                    configFile = Paths.get(value);
                    break;
                case "--endpoint":
                    endpointName = value;
                    break;
                case "--url":
                    try {
                        url = new URI(value);
                    } catch (final URISyntaxException e) {
                        return "--url " + value + " is not a URL: " + e.getReason();
                    }
                    if (!"http".equalsIgnoreCase(url.getScheme()) && !"https".equalsIgnoreCase(url.getScheme())) {
                        return "--url must start with http:// or https://";
                    }
                    break;
                case "--since":
                    final Optional<Instant> time = time(value, Instant.now());
                    if (time.isEmpty()) {
                        return "--since " + value + " is not a time: 2026-12-01T10:00:00Z, 2026-12-01, or 2h, 30m, 90s, 1d ago";
                    }
                    since = time.get();
                    break;
                case "--cause":
                    for (final String name : value.split(",")) {
                        final Optional<DeadLetterCause> cause = DeadLetterCause.fromConfigName(name);
                        if (cause.isEmpty()) {
                            return "--cause " + name.trim() + " is not one of " + String.join(", ", causeNames());
                        }
                        causes.add(cause.get().configName());
                    }
                    break;
                case "--rate":
                    try {
                        rate = Double.parseDouble(value);
                    } catch (final NumberFormatException e) {
                        rate = -1;
                    }
                    if (!(rate > 0) || Double.isInfinite(rate)) {
                        return "--rate " + value + " must be a number of requests per second greater than 0";
                    }
                    break;
                default:
                    return "unknown option " + arg;
            }
        }
        if (source == null) {
            return "which dead letters? give their folder (dead_letter.dir) or one file";
        }
        if (!Files.exists(source)) {
            return source + " does not exist";
        }
        if (configFile == null && url == null && !dryRun) {
            return "where to? give --config (the webhook configuration) or --url";
        }
        if (endpointName != null && configFile == null) {
            return "--endpoint names an endpoint of --config";
        }
        return null;
    }

    /** An ISO instant, a date (UTC midnight), or a time ago ("2h"). */
    static Optional<Instant> time(final String text, final Instant now) {
        final String value = text.trim();
        final Matcher ago = AGO.matcher(value.toLowerCase(Locale.ROOT));
        if (ago.matches()) {
            final long amount = Long.parseLong(ago.group(1));
            final Duration duration;
            switch (ago.group(2)) {
                case "s": duration = Duration.ofSeconds(amount); break;
                case "m": duration = Duration.ofMinutes(amount); break;
                case "h": duration = Duration.ofHours(amount); break;
                default: duration = Duration.ofDays(amount); break;
            }
            return Optional.of(now.minus(duration));
        }
        try {
            return Optional.of(Instant.parse(value));
        } catch (final DateTimeParseException notInstant) {
            try {
                return Optional.of(LocalDate.parse(value).atStartOfDay(ZoneOffset.UTC).toInstant());
            } catch (final DateTimeParseException notDate) {
                return Optional.empty();
            }
        }
    }

    /** A dead letter to send, and the file it is marked in. */
    private static final class Selected {
        final Path file;
        final DeadLetter letter;

        Selected(final Path file, final DeadLetter letter) {
            this.file = file;
            this.letter = letter;
        }
    }

    private int replay() throws IOException, InterruptedException {
        final @Nullable WebhookConfig config = configFile == null ? null : loadConfig(configFile);
        if (configFile != null && config == null) {
            return USAGE;
        }
        if (endpointName != null && config != null && config.endpoint(endpointName).isEmpty()) {
            err.println("replay: " + configFile + " has no endpoint " + endpointName + "; it has "
                    + config.endpoints().stream().map(EndpointConfig::name).reduce((a, b) -> a + ", " + b).orElse("none"));
            return USAGE;
        }
        final List<Selected> selected = select();
        final Map<String, EndpointConfig> targets = new HashMap<>();
        final List<Selected> sendable = new ArrayList<>();
        final Set<String> unknown = new LinkedHashSet<>();
        for (final Selected each : selected) {
            if (each.letter.body() == null) {
                unsendable++; // its body could not be written when it was given up
                continue;
            }
            final EndpointConfig target = target(config, each.letter.endpoint(), targets);
            if (target == null && !dryRun) {
                unknown.add(each.letter.endpoint());
                unsendable++;
                continue;
            }
            sendable.add(each);
        }
        if (!unknown.isEmpty()) {
            err.println("replay: " + configFile + " has no endpoint " + String.join(", ", unknown)
                    + "; those dead letters are skipped (--endpoint NAME sends them with another endpoint)");
        }
        out.println("replay: " + sendable.size() + " dead letter(s) to send from " + source + " (" + alreadyReplayed
                + " already replayed, " + filteredOut + " filtered out, " + unreadable + " unreadable, " + unsendable
                + " without a body or an endpoint)");
        if (dryRun) {
            printDryRun(sendable, targets);
            return OK;
        }
        return send(sendable, targets);
    }

    private @Nullable WebhookConfig loadConfig(final Path file) {
        final LoadResult result;
        try {
            result = ConfigLoader.load(file);
        } catch (final ConfigException e) {
            err.println("replay: " + file + ": " + e.problems().size() + " error(s):");
            for (final String problem : e.problems()) {
                err.println("  error: " + problem);
            }
            return null;
        }
        if (result.config().isEmpty()) {
            err.println("replay: " + file + " turns the webhook off: " + result.disabledReason());
            return null;
        }
        return result.config().get();
    }

    /** The configuration a line is sent with (cached per endpoint name), or null when there is none. */
    private @Nullable EndpointConfig target(final @Nullable WebhookConfig config, final String endpoint,
                                  final Map<String, EndpointConfig> targets) {
        return targets.computeIfAbsent(endpoint, name -> {
            @Nullable EndpointConfig chosen = null;
            if (config != null) {
                chosen = config.endpoint(endpointName != null ? endpointName : name).orElse(null);
            }
            if (url != null) {
                chosen = chosen == null ? EndpointConfig.builder(name, url).build() : chosen.toBuilder().url(url).build();
            }
            return chosen;
        });
    }

    /** Every readable line of the source, oldest file first, that the filters keep and no replay delivered. */
    private List<Selected> select() throws IOException {
        final List<Selected> selected = new ArrayList<>();
        for (final Path file : DeadLetterFiles.files(Objects.requireNonNull(source))) { // parse() requires it
            final Set<String> replayed = DeadLetterFiles.readReplayed(file);
            for (final String line : DeadLetterFiles.lines(file)) {
                final DeadLetter letter;
                try {
                    letter = DeadLetter.parse(line);
                } catch (final IllegalArgumentException e) {
                    unreadable++;
                    continue;
                }
                if (replayed.contains(letter.replayId())) {
                    alreadyReplayed++;
                } else if ((since != null && letter.deadLetteredMillis() < since.toEpochMilli())
                        || (!causes.isEmpty() && !causes.contains(letter.cause()))) {
                    filteredOut++;
                } else {
                    selected.add(new Selected(file, letter));
                }
            }
        }
        return selected;
    }

    private void printDryRun(final List<Selected> sendable, final Map<String, EndpointConfig> targets) {
        final Map<String, Integer> byCause = new TreeMap<>();
        final Map<String, Integer> byEndpoint = new TreeMap<>();
        for (final Selected each : sendable) {
            byCause.merge(each.letter.cause(), 1, Integer::sum);
            final EndpointConfig target = targets.get(each.letter.endpoint());
            byEndpoint.merge(target == null ? "(no --config or --url)" : target.urlForLog(), 1, Integer::sum);
        }
        out.println("  by cause:   " + byCause);
        out.println("  to:         " + byEndpoint);
        for (int i = 0; i < Math.min(10, sendable.size()); i++) {
            final DeadLetter letter = sendable.get(i).letter;
            out.println("  " + letter.replayId() + "  " + letter.cause() + (letter.status() > 0 ? " " + letter.status() : "")
                    + "  " + letter.event() + " clientid=" + letter.clientId()
                    + (letter.topic() == null ? "" : " topic=" + letter.topic()));
        }
        if (sendable.size() > 10) {
            out.println("  ... and " + (sendable.size() - 10) + " more");
        }
        out.println("replay: dry run, nothing sent, nothing marked");
    }

    private int send(final List<Selected> sendable, final Map<String, EndpointConfig> targets)
            throws IOException, InterruptedException {
        final RateLimiter limiter = new RateLimiter(RateLimit.of(RateLimit.Unit.REQUESTS, rate, 1));
        final Map<String, Resender> senders = new HashMap<>();
        final Map<Path, OutputStream> marks = new HashMap<>();
        final Set<String> gone = new LinkedHashSet<>();
        final long start = System.nanoTime();
        long lastProgress = start;
        int consecutiveFailures = 0;
        boolean aborted = false;
        try {
            for (final Selected each : sendable) {
                if (stopRequested) {
                    break;
                }
                // only letters with a target are sendable
                final EndpointConfig target = Objects.requireNonNull(targets.get(each.letter.endpoint()));
                if (gone.contains(target.name())) {
                    failed++;
                    continue;
                }
                if (!awaitToken(limiter)) {
                    break;
                }
                final Resender sender = senders.computeIfAbsent(target.name(), n -> new Resender(target));
                final Resender.Answer answer = post(sender, each.letter, templatedHeaders(target, each.letter));
                if (answer.delivered()) {
                    mark(marks, each);
                    delivered++;
                    consecutiveFailures = 0;
                } else {
                    failed++;
                    if (failed <= 5) {
                        err.println("replay: " + each.letter.replayId() + " not delivered: " + answer);
                    }
                    if (answer.status == 410) {
                        gone.add(target.name());
                        err.println("replay: " + target.urlForLog() + " answered 410 Gone: nothing more is sent to it");
                    }
                    consecutiveFailures = answer.status == 0 ? consecutiveFailures + 1 : 0;
                    if (consecutiveFailures >= MAX_CONSECUTIVE_FAILURES) {
                        err.println("replay: " + MAX_CONSECUTIVE_FAILURES + " attempts in a row got no answer (last: "
                                + answer + "); stopping");
                        aborted = true;
                        break;
                    }
                }
                final long now = System.nanoTime();
                if (now - lastProgress >= TimeUnit.SECONDS.toNanos(1)) {
                    lastProgress = now;
                    progress("replay:", sendable.size(), now - start);
                }
            }
        } finally {
            for (final OutputStream file : marks.values()) {
                file.close();
            }
            for (final Resender sender : senders.values()) {
                sender.close();
            }
        }
        final boolean stopped = stopRequested && delivered + failed < sendable.size();
        progress(stopped ? "replay stopped:" : aborted ? "replay aborted:" : "replay done:", sendable.size(),
                System.nanoTime() - start);
        if (delivered > 0) {
            out.println("replay: delivered dead letters are listed in <file>" + DeadLetterFiles.REPLAYED
                    + "; a second replay skips them");
        }
        return delivered == sendable.size() ? OK : NOT_ALL;
    }

    private void progress(final String what, final int total, final long nanos) {
        final double seconds = Math.max(1e-3, nanos / 1e9);
        out.println(String.format(Locale.ROOT, "%s %d of %d delivered, %d failed, %.1f/s, %.1f s", what, delivered,
                total, failed, (delivered + failed) / seconds, seconds));
    }

    /** Waits for the rate limit, checking for a stop; false when stopped. */
    private boolean awaitToken(final RateLimiter limiter) throws InterruptedException {
        while (!stopRequested) {
            if (limiter.acquire(1, TimeUnit.MILLISECONDS.toNanos(100)) > 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The headers the endpoint's templates give this event (from the event the line records); none when the
     * endpoint has no templated header. Their values are never in the dead-letter file.
     */
    private static List<String[]> templatedHeaders(final EndpointConfig target, final DeadLetter letter) {
        if (target.request().templatedHeaders().isEmpty() || letter.record() == null) {
            return List.of();
        }
        try {
            final WebhookEvent event = EventCodec.decode(Base64.getDecoder().decode(letter.record()));
            return target.request().render(List.of(event), target.name(), new EventBodies(target.bodyFormat()), false)
                    .headers;
        } catch (final IllegalArgumentException unreadable) {
            return List.of();
        }
    }

    /** Posts one line; 429 and 503 with Retry-After are waited out (up to a minute, a few times). */
    private Resender.Answer post(final Resender sender, final DeadLetter letter, final List<String[]> headers)
            throws InterruptedException {
        final byte[] body = Objects.requireNonNull(letter.bodyBytes()); // only letters with a body are sent
        Resender.Answer answer = sender.post(letter.replayId(), letter.method(), letter.path(), headers, body);
        for (int retry = 0; retry < MAX_THROTTLED_RETRIES && !stopRequested; retry++) {
            final long wait = Math.min(answer.retryAfterMillis(), MAX_RETRY_AFTER_MILLIS);
            if (wait <= 0) {
                break;
            }
            out.println("replay: the endpoint asks to wait " + wait + " ms (" + answer + ")");
            awaitStop(wait);
            if (stopRequested) {
                break;
            }
            answer = sender.post(letter.replayId(), letter.method(), letter.path(), headers, body);
        }
        return answer;
    }

    /** Marks a delivered line before the next is sent: one write of one line, appended. */
    private static void mark(final Map<Path, OutputStream> marks, final Selected each) throws IOException {
        OutputStream file = marks.get(each.file);
        if (file == null) {
            file = new FileOutputStream(DeadLetterFiles.replayed(each.file).toFile(), true);
            marks.put(each.file, file);
        }
        file.write((each.letter.replayId() + "\n").getBytes(StandardCharsets.UTF_8));
        file.flush();
    }
}
