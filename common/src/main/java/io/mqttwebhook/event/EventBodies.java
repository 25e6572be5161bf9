package io.mqttwebhook.event;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * Serializes events into the compact UTF-8 JSON that is POSTed: one object per request, or an array of
 * objects for a batch. Thread-safe; runs on the plugin's threads, never on a broker thread.
 */
public final class EventBodies {

    private static final JsonFactory JSON = new JsonFactory();

    private final BodyFormat format;

    public EventBodies(final BodyFormat format) {
        this.format = format;
    }

    /** NanoMQ's bodies in this payload encoding, without MQTT 5 properties. */
    public EventBodies(final PayloadEncoding encoding) {
        this(new BodyFormat(encoding, false));
    }

    public BodyFormat format() {
        return format;
    }

    /** The body of one event. */
    public byte[] single(final WebhookEvent event) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            event.writeBody(json, format);
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot serialize " + event, e);
        }
        return out.toByteArray();
    }

    /** The body of a batch: a JSON array of the events' bodies, in order. */
    public byte[] batch(final List<? extends WebhookEvent> events) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256 * events.size());
        try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            json.writeStartArray();
            for (final WebhookEvent event : events) {
                event.writeBody(json, format);
            }
            json.writeEndArray();
        } catch (final IOException e) {
            throw new UncheckedIOException("cannot serialize a batch of " + events.size(), e);
        }
        return out.toByteArray();
    }
}
