package io.mqttwebhook.event;

import com.fasterxml.jackson.core.JsonGenerator;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The MQTT 5 properties of a PUBLISH (or the user properties of a CONNECT), copied by an adapter into plain
 * values. Written as a body's {@code properties} object when an endpoint asks for them
 * ({@code body.properties = true}): user properties as an ordered list of {@code {"key","value"}} pairs (keys
 * may repeat), then each other property the packet carried. Immutable.
 */
public final class Mqtt5Properties {

    /** A packet without properties (MQTT 3, or none set). */
    public static final Mqtt5Properties NONE = new Builder().build();

    private final List<String[]> userProperties;
    private final @Nullable String contentType;
    private final @Nullable String responseTopic;
    private final byte @Nullable [] correlationData;
    private final @Nullable Long messageExpiryInterval;
    private final @Nullable Integer payloadFormatIndicator;

    private Mqtt5Properties(final Builder b) {
        this.userProperties = Collections.unmodifiableList(new ArrayList<>(b.userProperties));
        this.contentType = b.contentType;
        this.responseTopic = b.responseTopic;
        this.correlationData = b.correlationData;
        this.messageExpiryInterval = b.messageExpiryInterval;
        this.payloadFormatIndicator = b.payloadFormatIndicator;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** User properties in the order they came, each {@code {key, value}}. */
    public List<String[]> userProperties() {
        return userProperties;
    }

    /** The value of the first user property named {@code key}, or null. */
    public @Nullable String userProperty(final String key) {
        for (final String[] pair : userProperties) {
            if (pair[0].equals(key)) {
                return pair[1];
            }
        }
        return null;
    }

    /** Content Type, or null. */
    public @Nullable String contentType() {
        return contentType;
    }

    /** Response Topic, or null. */
    public @Nullable String responseTopic() {
        return responseTopic;
    }

    /** Correlation Data (owned by this object: never change it), or null. */
    public byte @Nullable [] correlationData() {
        return correlationData;
    }

    /** Message Expiry Interval in seconds, or null. */
    public @Nullable Long messageExpiryInterval() {
        return messageExpiryInterval;
    }

    /** Payload Format Indicator: 0 unspecified bytes, 1 UTF-8; or null when the packet did not say. */
    public @Nullable Integer payloadFormatIndicator() {
        return payloadFormatIndicator;
    }

    public boolean isEmpty() {
        return userProperties.isEmpty() && contentType == null && responseTopic == null && correlationData == null
                && messageExpiryInterval == null && payloadFormatIndicator == null;
    }

    /** Writes the {@code properties} field: {@code "properties":{"user_properties":[...],...}}. */
    public void write(final JsonGenerator json, final PayloadEncoding encoding) throws IOException {
        json.writeObjectFieldStart("properties");
        json.writeArrayFieldStart("user_properties");
        for (final String[] pair : userProperties) {
            json.writeStartObject();
            json.writeStringField("key", pair[0]);
            json.writeStringField("value", pair[1]);
            json.writeEndObject();
        }
        json.writeEndArray();
        if (contentType != null) {
            json.writeStringField("content_type", contentType);
        }
        if (responseTopic != null) {
            json.writeStringField("response_topic", responseTopic);
        }
        if (correlationData != null) {
            json.writeStringField("correlation_data", encoding.encode(correlationData));
        }
        if (messageExpiryInterval != null) {
            json.writeNumberField("message_expiry_interval", messageExpiryInterval);
        }
        if (payloadFormatIndicator != null) {
            json.writeNumberField("payload_format_indicator", payloadFormatIndicator);
        }
        json.writeEndObject();
    }

    /** Collects the properties of one packet. */
    public static final class Builder {
        private final List<String[]> userProperties = new ArrayList<>();
        private @Nullable String contentType;
        private @Nullable String responseTopic;
        private byte @Nullable [] correlationData;
        private @Nullable Long messageExpiryInterval;
        private @Nullable Integer payloadFormatIndicator;

        private Builder() {
        }

        public Builder userProperty(final String key, final String value) {
            userProperties.add(new String[]{Objects.requireNonNull(key), Objects.requireNonNull(value)});
            return this;
        }

        public Builder contentType(final @Nullable String value) { this.contentType = value; return this; }
        public Builder responseTopic(final @Nullable String value) { this.responseTopic = value; return this; }
        public Builder correlationData(final byte @Nullable [] value) { this.correlationData = value; return this; }
        public Builder messageExpiryInterval(final @Nullable Long value) { this.messageExpiryInterval = value; return this; }
        public Builder payloadFormatIndicator(final @Nullable Integer value) { this.payloadFormatIndicator = value; return this; }

        public Mqtt5Properties build() {
            return new Mqtt5Properties(this);
        }
    }
}
