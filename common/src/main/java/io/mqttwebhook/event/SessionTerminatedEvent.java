package io.mqttwebhook.event;

import com.fasterxml.jackson.core.JsonGenerator;
import org.jspecify.annotations.Nullable;

import java.io.IOException;

/** {@code on_session_terminated}: the broker removed a client's session, and why. */
public final class SessionTerminatedEvent extends WebhookEvent {

    private final String reason;

    public SessionTerminatedEvent(final @Nullable String clientId, final @Nullable String username,
                                  final String reason) {
        super(EventType.SESSION_TERMINATED, clientId, username);
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
        json.writeStringField("action", type().action());
        json.writeStringField("clientid", clientId());
        json.writeStringField("username", usernameOrUndefined(username()));
        json.writeStringField("reason", reason);
        json.writeEndObject();
    }
}
