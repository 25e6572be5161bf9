package io.mqttwebhook.delivery;

import com.fasterxml.jackson.core.JsonGenerator;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.WebhookEvent;

import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * An event read back from the disk queue: its JSON body as written when it was stored (in the encoding in
 * force then), what ordering and rules need (type, client id, topic), and its key in the store.
 */
final class StoredEvent extends WebhookEvent {

    final long key;
    final int storedBytes;
    private final String topic;
    private final String body;
    private final long createdMillis;

    StoredEvent(final long key, final int storedBytes, final EventType type, final String clientId, final String topic,
                final String body, final long createdMillis) {
        super(type, clientId, null);
        this.key = key;
        this.storedBytes = storedBytes;
        this.topic = topic;
        this.body = body;
        this.createdMillis = createdMillis;
    }

    @Override
    public String topic() {
        return topic;
    }

    @Override
    public long createdMillis() {
        return createdMillis;
    }

    @Override
    public void writeBody(final JsonGenerator json, final io.mqttwebhook.event.PayloadEncoding encoding)
            throws IOException {
        json.writeRawValue(body);
    }

    /** The stored body, for tests. */
    byte[] bodyBytes() {
        return body.getBytes(StandardCharsets.UTF_8);
    }
}
