package io.mqttwebhook.delivery;

import io.mqttwebhook.config.TlsSettings;
import io.mqttwebhook.config.EndpointConfig;
import org.apache.hc.client5.http.async.methods.SimpleHttpRequest;
import org.apache.hc.client5.http.async.methods.SimpleHttpResponse;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.config.TlsConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.client5.http.ssl.ClientTlsStrategyBuilder;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http2.HttpVersionPolicy;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * A {@link Sender} on one long-lived Apache HttpClient 5 async client with a keep-alive pool of
 * {@code pool_size} connections to the endpoint. Redirects are not followed and the client never retries by
 * itself: {@link Delivery} decides.
 */
final class HttpSender implements Sender {

    private static final Logger LOG = LoggerFactory.getLogger(HttpSender.class);

    static final String USER_AGENT = "mqtt-webhook";

    private final CloseableHttpAsyncClient client;
    private volatile boolean closing;

    HttpSender(final EndpointConfig config) {
        final Timeout timeout = Timeout.of(config.cancelTimeout());
        final PoolingAsyncClientConnectionManagerBuilder poolBuilder = PoolingAsyncClientConnectionManagerBuilder.create()
                .setMaxConnTotal(config.poolSize())
                .setMaxConnPerRoute(config.poolSize())
                .setDefaultConnectionConfig(ConnectionConfig.custom()
                        .setConnectTimeout(timeout)
                        .setSocketTimeout(timeout)
                        .setValidateAfterInactivity(TimeValue.ofSeconds(2))
                        .setTimeToLive(TimeValue.ofMinutes(5))
                        .build())
                .setDefaultTlsConfig(TlsConfig.custom().setVersionPolicy(HttpVersionPolicy.FORCE_HTTP_1).build());
        final TlsSettings tls = config.tls();
        if (tls != null) {
            final ClientTlsStrategyBuilder strategy = ClientTlsStrategyBuilder.create().setSslContext(tls.sslContext());
            if (!tls.verify()) {
                strategy.setHostnameVerifier(NoopHostnameVerifier.INSTANCE);
            }
            poolBuilder.setTlsStrategy(strategy.build());
        }
        this.client = HttpAsyncClients.custom()
                .setConnectionManager(poolBuilder.build())
                .setIOReactorConfig(IOReactorConfig.custom()
                        .setIoThreadCount(Math.max(1, Math.min(2, Runtime.getRuntime().availableProcessors())))
                        .setSoTimeout(timeout)
                        .setTcpNoDelay(true)
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setResponseTimeout(timeout)
                        .setRedirectsEnabled(false)
                        .build())
                .setVersionPolicy(HttpVersionPolicy.FORCE_HTTP_1)
                .setUserAgent(USER_AGENT)
                .disableAutomaticRetries()
                .disableRedirectHandling()
                .disableCookieManagement()
                .disableAuthCaching()
                .disableConnectionState()
                .setIoReactorExceptionCallback(this::reactorError)
                .build();
        client.start();
    }

    @Override
    public Future<SimpleHttpResponse> send(final Outgoing outgoing, final Consumer<Outcome> done) {
        final SimpleRequestBuilder builder = SimpleRequestBuilder.create(outgoing.method).setUri(outgoing.uri);
        for (final String[] header : outgoing.headers) {
            builder.addHeader(header[0], header[1]);
        }
        builder.setBody(outgoing.body, ContentType.parseLenient(outgoing.contentType));
        final SimpleHttpRequest request = builder.build();
        return client.execute(request, new FutureCallback<>() {
            @Override
            public void completed(final SimpleHttpResponse response) {
                final Header retryAfter = response.getFirstHeader("Retry-After");
                done.accept(Outcome.answered(response.getCode(), retryAfter == null ? null : retryAfter.getValue()));
            }

            @Override
            public void failed(final Exception e) {
                done.accept(Outcome.failed(describe(e)));
            }

            @Override
            public void cancelled() {
                done.accept(Outcome.failed("cancelled after cancel_timeout"));
            }
        });
    }

    private static String describe(final Exception e) {
        final String name = e.getClass().getSimpleName();
        return e.getMessage() == null ? name : name + ": " + e.getMessage();
    }

    /** Closes the pool and the I/O threads at once: every request has ended or been cancelled by now. */
    @Override
    public void close() {
        closing = true;
        client.close(CloseMode.IMMEDIATE);
    }

    /**
     * Errors of the client's I/O reactor. Closing it while its workers still run makes them report a
     * ClosedSelectorException, or a ConcurrentModificationException when the selector's keys are
     * deregistered under a worker that is handling them; HttpClient would log those at ERROR on a stop.
     * Once closing, every request has ended or been cancelled, so nothing is lost with them.
     */
    private void reactorError(final Exception e) {
        if (closing) {
            LOG.debug("mqtt-webhook: HTTP client closed while its I/O reactor was running", e);
        } else {
            LOG.error("mqtt-webhook: HTTP client I/O reactor error", e);
        }
    }

}
