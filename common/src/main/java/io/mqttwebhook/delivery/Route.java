package io.mqttwebhook.delivery;

import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.HttpClientKind;
import io.mqttwebhook.event.EventBodies;
import io.mqttwebhook.request.RequestTemplate;
import org.jspecify.annotations.Nullable;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What one configuration of an endpoint delivers with: its settings, the {@link Sender} built for them, and
 * how a job becomes a request (body writer, request template, configured headers, signing). A reload makes a
 * new route; the old one is retired and its sender closed as soon as no attempt runs on it any more (or at
 * stop, whichever comes first).
 */
final class Route {

    private static final int RETIRED = 1 << 30;
    private static final String DEFAULT_CONTENT_TYPE = "application/json";

    final EndpointConfig config;
    final Sender sender;
    final EventBodies bodies;
    final Backoff backoff;
    private final URI target;
    private final List<String[]> constantHeaders = new ArrayList<>();
    private final String contentType;
    private final @Nullable Signer signer;
    /** Attempts under way on this route, plus {@link #RETIRED} once it is no longer current. */
    private final AtomicInteger state = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();

    Route(final EndpointConfig config) {
        this.config = config;
        this.bodies = new EventBodies(config.bodyFormat());
        this.backoff = new Backoff(config.initialBackoff(), config.maxBackoff());
        this.target = withPath(config.url());
        String type = DEFAULT_CONTENT_TYPE;
        for (final Map.Entry<String, String> header : config.headers().entrySet()) {
            if (header.getKey().equalsIgnoreCase("content-type")) {
                type = header.getValue();
            } else if (!config.request().templatedHeaders().contains(header.getKey())) {
                constantHeaders.add(new String[]{header.getKey(), header.getValue()});
            }
        }
        this.contentType = type;
        final byte[] secret = config.signingSecret();
        this.signer = secret == null ? null : new Signer(secret);
        this.sender = config.httpClient() == HttpClientKind.APACHE ? new HttpSender(config) : new NioSender(config);
    }

    /** NanoMQ sends an empty request target for a URL without path; HTTP wants "/". */
    private static URI withPath(final URI url) {
        if (url.getRawPath() != null && !url.getRawPath().isEmpty()) {
            return url;
        }
        try {
            return new URI(url.getScheme(), url.getRawAuthority(), "/", url.getRawQuery(), null);
        } catch (final URISyntaxException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** The job's request in this route's configuration (body, method, path, templated headers), rendered once. */
    RequestTemplate.Rendered render(final Job job) {
        final boolean batch = job.events.size() > 1 || config.batchMaxEvents() > 1;
        return config.request().render(job.events, config.name(), bodies, batch);
    }

    /** One attempt's request: a fresh signature timestamp each time, everything else as rendered. */
    Outgoing outgoing(final Job job, final RequestTemplate.Rendered rendered) {
        return outgoing(job.id, rendered.method, rendered.path, rendered.headers, rendered.body);
    }

    /**
     * A request with this route's url, configured headers and signature around what was rendered: the method,
     * the path to append (or null), the templated headers and the body (also for a replayed dead letter).
     */
    Outgoing outgoing(final String id, final String method, final @Nullable String path, final List<String[]> templated,
                      final byte[] body) {
        final List<String[]> headers = new ArrayList<>(constantHeaders.size() + templated.size() + 3);
        headers.addAll(constantHeaders);
        headers.addAll(templated);
        headers.add(new String[]{"webhook-id", id});
        if (signer != null) {
            final long timestamp = System.currentTimeMillis() / 1000;
            headers.add(new String[]{"webhook-timestamp", Long.toString(timestamp)});
            headers.add(new String[]{"webhook-signature", signer.sign(id, timestamp, body)});
        }
        return new Outgoing(method, uri(path), headers, contentType, body);
    }

    /** The url with a rendered path appended to its own path (its query kept, the path's query added). */
    private URI uri(final @Nullable String path) {
        if (path == null) {
            return target;
        }
        final String base = target.getRawPath();
        final int query = path.indexOf('?');
        final String suffix = query < 0 ? path : path.substring(0, query);
        final String fullPath = (base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + suffix;
        String fullQuery = target.getRawQuery();
        if (query >= 0) {
            final String extra = path.substring(query + 1);
            fullQuery = fullQuery == null ? extra : fullQuery + "&" + extra;
        }
        return URI.create(target.getScheme() + "://" + target.getRawAuthority() + fullPath
                + (fullQuery == null ? "" : "?" + fullQuery));
    }

    /** An attempt starts on this route; false when it was retired meanwhile (use the current one). */
    boolean begin() {
        while (true) {
            final int current = state.get();
            if ((current & RETIRED) != 0) {
                return false;
            }
            if (state.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /** An attempt on this route has ended. */
    void end() {
        if (state.decrementAndGet() == RETIRED) {
            close();
        }
    }

    /** No attempt starts here any more; the sender closes when the last one ends. */
    void retire() {
        if (state.updateAndGet(s -> s | RETIRED) == RETIRED) {
            close();
        }
    }

    boolean isClosed() {
        return closed.get() != 0;
    }

    /** Closes the sender (once): its pool and I/O threads. */
    void close() {
        if (closed.compareAndSet(0, 1)) {
            sender.close();
        }
    }
}
