package io.mqttwebhook.event;

import com.fasterxml.jackson.core.JsonGenerator;
import org.jspecify.annotations.Nullable;

import java.io.IOException;

/** {@code on_client_disconnected}: a connection that got a connack event has ended, and why. */
public final class DisconnectedEvent extends WebhookEvent {

    private final String reason;

    /** @param reason {@code "normal"} or a reason name from {@link ReasonNames} */
    public DisconnectedEvent(final @Nullable String clientId, final @Nullable String username, final String reason) {
        super(EventType.CLIENT_DISCONNECTED, clientId, username);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }

    @Override
    public Object field(final String name) {
        return name.equals("reason") ? reason : super.field(name);
    }

    @Override
    public void writeBody(final JsonGenerator json, final BodyFormat format) throws IOException {
        json.writeStartObject();
        json.writeStringField("reason", reason);
        json.writeStringField("username", usernameOrUndefined(username()));
        json.writeStringField("clientid", clientId());
        json.writeStringField("action", type().action());
        json.writeEndObject();
    }
}
