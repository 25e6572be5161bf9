package io.mqttwebhook.config;

import java.util.Locale;

/**
 * Which HTTP client an endpoint sends with ({@code http.client}): the plugin's own HTTP/1.1 client with
 * pipelining, or Apache HttpClient 5 as before it.
 */
public enum HttpClientKind {
    /** The plugin's HTTP/1.1 client: one I/O thread per endpoint, keep-alive, optional pipelining. */
    NIO,
    /** Apache HttpClient 5 (async, a pool of {@code pool_size} connections, no pipelining). */
    APACHE;

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
