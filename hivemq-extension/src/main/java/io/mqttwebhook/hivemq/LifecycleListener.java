package io.mqttwebhook.hivemq;

import com.hivemq.extension.sdk.api.client.parameter.ConnectionAttributeStore;
import com.hivemq.extension.sdk.api.events.client.ClientLifecycleEventListener;
import com.hivemq.extension.sdk.api.events.client.parameters.AuthenticationFailedInput;
import com.hivemq.extension.sdk.api.events.client.parameters.AuthenticationSuccessfulInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ClientInitiatedDisconnectInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ConnectionLostInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ConnectionStartInput;
import com.hivemq.extension.sdk.api.events.client.parameters.DisconnectEventInput;
import com.hivemq.extension.sdk.api.packets.general.DisconnectedReasonCode;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.event.ConnackEvent;
import io.mqttwebhook.event.DisconnectedEvent;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.ReasonNames;

import java.util.Optional;

/**
 * Every end of a connection (client DISCONNECT, lost socket, server disconnect, takeover, authentication
 * failure): reports one {@code on_client_disconnected} for each connection that got a connack event, and
 * the connack of an MQTT 3 client that HiveMQ refused without sending one.
 */
final class LifecycleListener implements ClientLifecycleEventListener {

    private final Webhook webhook;

    LifecycleListener(final Webhook webhook) {
        this.webhook = webhook;
    }

    @Override
    public void onMqttConnectionStart(final ConnectionStartInput input) {
        // CONNECT is seen by ConnectInterceptor
    }

    @Override
    public void onAuthenticationSuccessful(final AuthenticationSuccessfulInput input) {
        // success is seen by ConnackInterceptor
    }

    @Override
    public void onDisconnect(final DisconnectEventInput input) {
        final ConnectionAttributeStore store = input.getConnectionInformation().getConnectionAttributeStore();
        final String clientId = input.getClientInformation().getClientId();
        final String username = ConnectionAttributes.username(store);
        final Optional<DisconnectedReasonCode> code = input.getReasonCode();
        if (input instanceof AuthenticationFailedInput && !ConnectionAttributes.connackReported(store)) {
            // an MQTT 3 client refused with a reason MQTT 3 cannot express gets no CONNACK at all
            ConnectionAttributes.markConnack(store);
            if (webhook.wants(EventType.CLIENT_CONNACK)) {
                webhook.publish(new ConnackEvent(clientId, username,
                        ConnectionAttributes.protoVer(input.getConnectionInformation().getMqttVersion()),
                        ConnectionAttributes.keepalive(store),
                        code.map(c -> ReasonNames.fromConstant(c.name())).orElse(ReasonNames.NOT_AUTHORIZED)));
            }
        }
        if (!ConnectionAttributes.connackReported(store) || !webhook.wants(EventType.CLIENT_DISCONNECTED)) {
            return;
        }
        final String reason;
        if (input instanceof ConnectionLostInput) {
            reason = ReasonNames.CONNECTION_LOST;
        } else if (code.isPresent()) {
            reason = ReasonNames.fromConstant(code.get().name());
        } else if (input instanceof ClientInitiatedDisconnectInput) {
            reason = ReasonNames.NORMAL; // MQTT 3 DISCONNECT carries no reason
        } else if (input instanceof AuthenticationFailedInput) {
            reason = ReasonNames.NOT_AUTHORIZED;
        } else {
            reason = ReasonNames.UNSPECIFIED_ERROR;
        }
        webhook.publish(new DisconnectedEvent(clientId, username, reason));
    }
}
