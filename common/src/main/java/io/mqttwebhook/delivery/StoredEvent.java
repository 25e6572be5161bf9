package io.mqttwebhook.delivery;

import com.fasterxml.jackson.core.JsonGenerator;
import io.mqttwebhook.event.BodyFormat;
import io.mqttwebhook.event.Mqtt5Properties;
import io.mqttwebhook.event.WebhookEvent;
import org.jspecify.annotations.Nullable;

import java.io.IOException;

/**
 * An event read back from the disk queue: the event itself (decoded, so its body is written in the encoding
 * in force when it is sent), its key in the file, and the {@code webhook-id} that key gives it, the same on
 * every start.
 */
final class StoredEvent extends WebhookEvent {

    final long key;
    private final String id;
    private final WebhookEvent event;

    StoredEvent(final long key, final String id, final WebhookEvent event) {
        super(event.type(), event.clientId(), event.username());
        this.key = key;
        this.id = id;
        this.event = event;
    }

    /** The {@code webhook-id} of this event. */
    String id() {
        return id;
    }

    /** The event as it happened. */
    WebhookEvent event() {
        return event;
    }

    @Override
    public @Nullable String topic() {
        return event.topic();
    }

    @Override
    public long createdMillis() {
        return event.createdMillis();
    }

    @Override
    public void writeBody(final JsonGenerator json, final BodyFormat format) throws IOException {
        event.writeBody(json, format);
    }

    @Override
    public Object field(final String name) {
        return event.field(name);
    }

    @Override
    public Mqtt5Properties properties() {
        return event.properties();
    }

    @Override
    public String toString() {
        return event.toString();
    }
}
