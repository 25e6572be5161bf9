package io.mqttwebhook.delivery;

import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.TlsSettings;
import io.mqttwebhook.delivery.http.Exchange;
import io.mqttwebhook.delivery.http.Http1Client;
import org.jspecify.annotations.Nullable;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * A {@link Sender} on the plugin's own HTTP/1.1 client ({@link Http1Client}): up to {@code pool_size}
 * keep-alive connections to the endpoint (the slots keep at most {@code pool_size} requests in flight), each
 * carrying up to {@code pipelining} requests at once while the endpoint answers fast. TLS uses the endpoint's
 * {@code ssl} settings. Redirects are not followed and nothing is retried here: {@link Delivery} decides.
 */
final class NioSender implements Sender {

    private final Http1Client client;
    /** The last url's request target: requests of one route nearly always go to the same one. */
    private volatile Target last = new Target(URI.create(""), "/");

    NioSender(final EndpointConfig config) {
        final URI url = config.url();
        final boolean https = "https".equalsIgnoreCase(url.getScheme());
        final int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
        final TlsSettings tls = config.tls();
        final SSLContext context;
        try {
            context = !https ? null : tls != null ? tls.sslContext() : SSLContext.getDefault();
        } catch (final NoSuchAlgorithmException e) {
            throw new IllegalStateException("no TLS in this JVM", e);
        }
        boolean hostHeader = true;
        boolean userAgent = true;
        for (final String name : config.headers().keySet()) {
            hostHeader &= !name.equalsIgnoreCase("host");
            userAgent &= !name.equalsIgnoreCase("user-agent");
        }
        final int depth = config.pipelining();
        try {
            this.client = new Http1Client("mqtt-webhook-http-" + config.name(), url.getHost(), port, context,
                    tls == null || tls.verify(), config.poolSize(), depth,
                    config.cancelTimeout().toNanos(), userAgent ? HttpSender.USER_AGENT : null, hostHeader);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot start the HTTP client of endpoint " + config.name(), e);
        }
    }

    @Override
    public Future<?> send(final Outgoing request, final Consumer<Outcome> done) {
        final Attempt attempt = new Attempt(request, target(request.uri), done);
        client.submit(attempt);
        return attempt;
    }

    /** The request target (path and query) of a url. */
    private String target(final URI uri) {
        final Target cached = last;
        if (cached.uri == uri) {
            return cached.target;
        }
        final String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
        final String target = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
        last = new Target(uri, target);
        return target;
    }

    @Override
    public void close() {
        client.close();
    }

    private static final class Target {
        final URI uri;
        final String target;

        Target(final URI uri, final String target) {
            this.uri = uri;
            this.target = target;
        }
    }

    /** One attempt: its outcome goes to the delivery engine. */
    private static final class Attempt extends Exchange {
        private final Consumer<Outcome> done;

        Attempt(final Outgoing request, final String target, final Consumer<Outcome> done) {
            super(request.method, target, request.headers, request.contentType, request.body);
            this.done = done;
        }

        @Override
        protected void onResponse(final int status, final @Nullable String retryAfter) {
            done.accept(Outcome.answered(status, retryAfter));
        }

        @Override
        protected void onFailure(final String error) {
            done.accept(Outcome.failed(error));
        }
    }
}
