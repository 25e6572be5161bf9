package io.mqttwebhook.delivery;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.jspecify.annotations.Nullable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * One event an endpoint gave up, as one line of JSON in a dead-letter file: when and why (the cause, the last
 * status or error, the attempts and their times), which event (endpoint, {@code webhook-id}, type, client,
 * topic), the request it would have been sent as ({@code method}, the {@code path} a template appended, and
 * {@code body} as a JSON string, exact bytes: the replay command posts it as it is) and {@code record}, the event
 * itself in the disk queue's binary form (base64), from which a replay renders templated headers. A batch gives
 * one line per event, each with the batch's id and its {@code batch_index}. Never holds a secret or a header
 * value. Immutable.
 */
public final class DeadLetter {

    private static final JsonFactory JSON = new JsonFactory();

    private final long deadLetteredMillis;
    private final String endpoint;
    private final String webhookId;
    /** The event's place in its batch, or -1 for a request of one event. */
    private final int batchIndex;
    private final int batchSize;
    private final String cause;
    private final int status;
    private final @Nullable String error;
    private final int attempts;
    private final long firstAttemptMillis;
    private final long lastAttemptMillis;
    private final @Nullable String event;
    private final @Nullable String clientId;
    private final @Nullable String topic;
    private final long createdMillis;
    private final @Nullable String method;
    private final @Nullable String path;
    private final @Nullable String body;
    private final @Nullable String record;

    DeadLetter(final long deadLetteredMillis, final String endpoint, final String webhookId, final int batchIndex,
               final int batchSize, final String cause, final int status, final @Nullable String error,
               final int attempts,
               final long firstAttemptMillis, final long lastAttemptMillis, final @Nullable String event,
               final @Nullable String clientId,
               final @Nullable String topic, final long createdMillis, final @Nullable String method,
               final @Nullable String path,
               final @Nullable String body, final @Nullable String record) {
        this.deadLetteredMillis = deadLetteredMillis;
        this.endpoint = endpoint;
        this.webhookId = webhookId;
        this.batchIndex = batchIndex;
        this.batchSize = batchSize;
        this.cause = cause;
        this.status = status;
        this.error = error;
        this.attempts = attempts;
        this.firstAttemptMillis = firstAttemptMillis;
        this.lastAttemptMillis = lastAttemptMillis;
        this.event = event;
        this.clientId = clientId;
        this.topic = topic;
        this.createdMillis = createdMillis;
        this.method = method;
        this.path = path;
        this.body = body;
        this.record = record;
    }

    /** The line, with its newline. */
    public byte[] toLine() {
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256 + (body == null ? 0 : body.length() + body.length() / 8));
        try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            json.writeStartObject();
            json.writeStringField("dead_lettered", Instant.ofEpochMilli(deadLetteredMillis).toString());
            json.writeStringField("endpoint", endpoint);
            json.writeStringField("webhook_id", webhookId);
            if (batchIndex >= 0) {
                json.writeNumberField("batch_index", batchIndex);
                json.writeNumberField("batch_size", batchSize);
            }
            json.writeStringField("cause", cause);
            if (status > 0) {
                json.writeNumberField("status", status);
            } else {
                json.writeNullField("status");
            }
            json.writeStringField("error", error);
            json.writeNumberField("attempts", attempts);
            writeTime(json, "first_attempt", firstAttemptMillis);
            writeTime(json, "last_attempt", lastAttemptMillis);
            json.writeStringField("event", event);
            json.writeStringField("clientid", clientId);
            json.writeStringField("topic", topic);
            writeTime(json, "created", createdMillis);
            json.writeStringField("method", method);
            json.writeStringField("path", path);
            json.writeStringField("body", body);
            json.writeStringField("record", record);
            json.writeEndObject();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    private static void writeTime(final JsonGenerator json, final String name, final long millis) throws IOException {
        if (millis > 0) {
            json.writeStringField(name, Instant.ofEpochMilli(millis).toString());
        } else {
            json.writeNullField(name);
        }
    }

    /** Reads a line written by {@link #toLine()}; {@link IllegalArgumentException} when it is not one. */
    public static DeadLetter parse(final String line) {
        long deadLettered = 0;
        long first = 0;
        long last = 0;
        long created = 0;
        String endpoint = null;
        String id = null;
        String cause = null;
        @Nullable String error = null;
        @Nullable String event = null;
        @Nullable String clientId = null;
        @Nullable String topic = null;
        @Nullable String method = null;
        @Nullable String path = null;
        @Nullable String body = null;
        @Nullable String record = null;
        int batchIndex = -1;
        int batchSize = 0;
        int status = 0;
        int attempts = 0;
        try (JsonParser json = JSON.createParser(line)) {
            if (json.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object");
            }
            while (json.nextToken() == JsonToken.FIELD_NAME) {
                final String name = json.getCurrentName();
                final JsonToken value = json.nextToken();
                if (value == JsonToken.START_OBJECT || value == JsonToken.START_ARRAY) {
                    json.skipChildren();
                    continue;
                }
                final boolean isNull = value == JsonToken.VALUE_NULL;
                switch (name) {
                    case "dead_lettered": deadLettered = time(json, isNull); break;
                    case "endpoint": endpoint = isNull ? null : json.getText(); break;
                    case "webhook_id": id = isNull ? null : json.getText(); break;
                    case "batch_index": batchIndex = isNull ? -1 : json.getIntValue(); break;
                    case "batch_size": batchSize = isNull ? 0 : json.getIntValue(); break;
                    case "cause": cause = isNull ? null : json.getText(); break;
                    case "status": status = isNull ? 0 : json.getIntValue(); break;
                    case "error": error = isNull ? null : json.getText(); break;
                    case "attempts": attempts = isNull ? 0 : json.getIntValue(); break;
                    case "first_attempt": first = time(json, isNull); break;
                    case "last_attempt": last = time(json, isNull); break;
                    case "event": event = isNull ? null : json.getText(); break;
                    case "clientid": clientId = isNull ? null : json.getText(); break;
                    case "topic": topic = isNull ? null : json.getText(); break;
                    case "created": created = time(json, isNull); break;
                    case "method": method = isNull ? null : json.getText(); break;
                    case "path": path = isNull ? null : json.getText(); break;
                    case "body": body = isNull ? null : json.getText(); break;
                    case "record": record = isNull ? null : json.getText(); break;
                    default: break; // a newer writer's field
                }
            }
        } catch (final IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a dead letter: " + e.getMessage(), e);
        }
        if (id == null || cause == null || endpoint == null) {
            throw new IllegalArgumentException("not a dead letter: endpoint, webhook_id or cause missing");
        }
        return new DeadLetter(deadLettered, endpoint, id, batchIndex, batchSize, cause, status, error, attempts, first,
                last, event, clientId, topic, created, method, path, body, record);
    }

    private static long time(final JsonParser json, final boolean isNull) throws IOException {
        if (isNull) {
            return 0;
        }
        try {
            return Instant.parse(json.getText()).toEpochMilli();
        } catch (final DateTimeParseException e) {
            throw new IllegalArgumentException("not a time: " + json.getText(), e);
        }
    }

    /**
     * The {@code webhook-id} a replay sends it with, and the key that marks it replayed: the id it was given
     * up with, followed by {@code .<batch_index>} for an event of a batch (its batch is not sent again as such).
     */
    public String replayId() {
        return batchIndex < 0 ? webhookId : webhookId + "." + batchIndex;
    }

    public long deadLetteredMillis() {
        return deadLetteredMillis;
    }

    public String endpoint() {
        return endpoint;
    }

    public String webhookId() {
        return webhookId;
    }

    public int batchIndex() {
        return batchIndex;
    }

    public int batchSize() {
        return batchSize;
    }

    /** {@code status_4xx}, {@code retries_exhausted}, ... (see {@link io.mqttwebhook.metrics.DeadLetterCause}). */
    public String cause() {
        return cause;
    }

    /** The last HTTP status, or 0 when there was none. */
    public int status() {
        return status;
    }

    /** The last error without an answer (connection refused, timeout), or null. */
    public @Nullable String error() {
        return error;
    }

    public int attempts() {
        return attempts;
    }

    /** Epoch ms of the first attempt, or 0 when it was never sent. */
    public long firstAttemptMillis() {
        return firstAttemptMillis;
    }

    public long lastAttemptMillis() {
        return lastAttemptMillis;
    }

    /** The event's name, {@code on_message_publish}. */
    public @Nullable String event() {
        return event;
    }

    public @Nullable String clientId() {
        return clientId;
    }

    public @Nullable String topic() {
        return topic;
    }

    public long createdMillis() {
        return createdMillis;
    }

    /** The request's method ({@code POST}, or a configured {@code PUT}/{@code PATCH}), or null (POST). */
    public @Nullable String method() {
        return method;
    }

    /** The path a {@code path} template appended to the url, or null. */
    public @Nullable String path() {
        return path;
    }

    /** The event in the disk queue's binary form ({@link io.mqttwebhook.event.EventCodec}), base64, or null. */
    public @Nullable String record() {
        return record;
    }

    /** The request body, or null when it could not be written. */
    public @Nullable String body() {
        return body;
    }

    /** The body's bytes, as posted. */
    public byte @Nullable [] bodyBytes() {
        return body == null ? null : body.getBytes(StandardCharsets.UTF_8);
    }
}
