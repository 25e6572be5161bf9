package io.mqttwebhook.config;

import javax.net.ssl.SSLContext;

/**
 * TLS for an {@code https://} endpoint, built from the {@code ssl} block at load time so that unreadable
 * certificate files are configuration errors, not delivery failures.
 */
public final class TlsSettings {

    private final SSLContext sslContext;
    private final boolean verify;
    private final String summary;

    public TlsSettings(final SSLContext sslContext, final boolean verify, final String summary) {
        this.sslContext = sslContext;
        this.verify = verify;
        this.summary = summary;
    }

    public SSLContext sslContext() {
        return sslContext;
    }

    /** Whether the server's certificate chain and host name are checked. */
    public boolean verify() {
        return verify;
    }

    @Override
    public String toString() {
        return summary;
    }
}
