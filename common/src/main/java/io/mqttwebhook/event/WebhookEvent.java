package io.mqttwebhook.event;

import com.fasterxml.jackson.core.JsonGenerator;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.util.Objects;

/**
 * One thing that happened on the broker, built by an adapter on a broker thread from plain Java values.
 * Immutable; everything slow (JSON, HTTP) happens later on the plugin's own threads.
 */
public abstract class WebhookEvent {

    /** Written where NanoMQ writes a missing or empty username. */
    public static final String UNDEFINED_USERNAME = "undefined";

    private final EventType type;
    private final String clientId;
    private final @Nullable String username;
    /** Set at construction; {@link EventCodec} restores it once, before an event read from disk is shared. */
    private long createdMillis = System.currentTimeMillis();

    protected WebhookEvent(final EventType type, final @Nullable String clientId, final @Nullable String username) {
        this.type = Objects.requireNonNull(type, "type");
        this.clientId = clientId == null ? "" : clientId;
        this.username = username;
    }

    /** When the adapter built this event (epoch ms): how far behind delivery is, for the oldest queued one. */
    public long createdMillis() {
        return createdMillis;
    }

    void restoreCreatedMillis(final long millis) {
        this.createdMillis = millis;
    }

    public EventType type() {
        return type;
    }

    public String clientId() {
        return clientId;
    }

    /** The username as the client sent it, or null. */
    public @Nullable String username() {
        return username;
    }

    /** The topic rules filter on, or null for events without one. */
    public @Nullable String topic() {
        return null;
    }

    /** Writes the JSON object of this event, keys in the order of the specification. */
    public abstract void writeBody(JsonGenerator json, BodyFormat format) throws IOException;

    /** Marks a name that is not a field of this event (see {@link #field}). */
    public static final Object ABSENT = new Object() {
        @Override
        public String toString() {
            return "absent";
        }
    };

    /**
     * The value of a field of this event by its key in the body ({@code clientid}, {@code topic},
     * {@code payload}, ...): a String, Number, Boolean, the payload's byte[], or {@link #ABSENT}. Every event
     * has {@code action}, {@code clientid} and {@code username} (for a publish, its publisher's). For templates.
     */
    public Object field(final String name) {
        switch (name) {
            case "action":
                return type.action();
            case "clientid":
                return clientId;
            case "username":
                return usernameOrUndefined(username);
            default:
                return ABSENT;
        }
    }

    /** The MQTT 5 properties of the packet; {@link Mqtt5Properties#NONE} when it had none (or MQTT 3). */
    public Mqtt5Properties properties() {
        return Mqtt5Properties.NONE;
    }

    protected static String usernameOrUndefined(final @Nullable String username) {
        return username == null || username.isEmpty() ? UNDEFINED_USERNAME : username;
    }

    @Override
    public String toString() {
        return type.action() + "{clientid=" + clientId + (topic() == null ? "" : ", topic=" + topic()) + "}";
    }
}
