package io.mqttwebhook.event;

import java.util.Objects;

/**
 * How an endpoint wants bodies written: the payload encoding ({@code body.encoding}) and whether MQTT 5
 * properties are added ({@code body.properties}; off by default, so a NanoMQ receiver sees NanoMQ's exact
 * bodies).
 */
public final class BodyFormat {

    /** NanoMQ's bodies: plain payloads, no properties. */
    public static final BodyFormat NANOMQ = new BodyFormat(PayloadEncoding.PLAIN, false);

    private final PayloadEncoding encoding;
    private final boolean properties;

    public BodyFormat(final PayloadEncoding encoding, final boolean properties) {
        this.encoding = Objects.requireNonNull(encoding, "encoding");
        this.properties = properties;
    }

    public PayloadEncoding encoding() {
        return encoding;
    }

    /** Whether bodies carry a {@code properties} object (MQTT 5). */
    public boolean properties() {
        return properties;
    }
}
