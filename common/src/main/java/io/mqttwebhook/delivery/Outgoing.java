package io.mqttwebhook.delivery;

import java.net.URI;
import java.util.List;

/**
 * One HTTP request as it goes on the wire: method, full url, every header in order (configured, templated,
 * {@code webhook-id} and the signature headers; {@code Content-Type} apart) and the body.
 */
final class Outgoing {

    final String method;
    final URI uri;
    final List<String[]> headers;
    final String contentType;
    final byte[] body;

    Outgoing(final String method, final URI uri, final List<String[]> headers, final String contentType,
             final byte[] body) {
        this.method = method;
        this.uri = uri;
        this.headers = headers;
        this.contentType = contentType;
        this.body = body;
    }
}
