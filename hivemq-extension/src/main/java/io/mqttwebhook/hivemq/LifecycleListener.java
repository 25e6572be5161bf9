package io.mqttwebhook.hivemq;

import com.hivemq.extension.sdk.api.client.parameter.ConnectionAttributeStore;
import com.hivemq.extension.sdk.api.events.client.ClientLifecycleEventListener;
import com.hivemq.extension.sdk.api.events.client.parameters.AuthenticationFailedInput;
import com.hivemq.extension.sdk.api.events.client.parameters.AuthenticationSuccessfulInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ClientInitiatedDisconnectInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ConnectionLostInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ConnectionStartInput;
import com.hivemq.extension.sdk.api.events.client.parameters.DisconnectEventInput;
import com.hivemq.extension.sdk.api.events.client.parameters.ServerInitiatedDisconnectInput;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.event.ConnackEvent;
import io.mqttwebhook.event.DisconnectedEvent;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.ReasonNames;

import java.util.Optional;
import java.util.Set;

/**
 * Every end of a connection (client DISCONNECT, lost socket, server disconnect, takeover, authentication
 * failure): reports one {@code on_client_disconnected} for each connection that got a connack event, and
 * the connack of an MQTT 3 client that HiveMQ refused without sending one.
 */
final class LifecycleListener implements ClientLifecycleEventListener {

    /** Refusal reasons that MQTT 3 CONNACK return codes 1-5 express: HiveMQ sends those as a CONNACK. */
    private static final Set<String> MQTT3_CONNACK_REASONS = Set.of("unsupported_protocol_version",
            "client_identifier_not_valid", "server_unavailable", ReasonNames.BAD_USERNAME_OR_PASSWORD,
            ReasonNames.NOT_AUTHORIZED);

    private final Webhook webhook;
    private final ClientHooks hooks;

    LifecycleListener(final Webhook webhook, final ClientHooks hooks) {
        this.webhook = webhook;
        this.hooks = hooks;
    }

    @Override
    public void onMqttConnectionStart(final ConnectionStartInput input) {
        // CONNECT is seen by ConnectInterceptor
    }

    @Override
    public void onAuthenticationSuccessful(final AuthenticationSuccessfulInput input) {
        // success is seen by ConnackInterceptor
    }

    /**
     * HiveMQ calls one of the four specific methods below for each end of a connection; their input
     * objects implement every disconnect input interface, so the method, not an instanceof test, tells why.
     */
    @Override
    public void onDisconnect(final DisconnectEventInput input) {
        report(input, Kind.SERVER);
    }

    @Override
    public void onClientInitiatedDisconnect(final ClientInitiatedDisconnectInput input) {
        report(input, Kind.CLIENT);
    }

    @Override
    public void onConnectionLost(final ConnectionLostInput input) {
        report(input, Kind.LOST);
    }

    @Override
    public void onServerInitiatedDisconnect(final ServerInitiatedDisconnectInput input) {
        report(input, Kind.SERVER);
    }

    @Override
    public void onAuthenticationFailedDisconnect(final AuthenticationFailedInput input) {
        report(input, Kind.AUTHENTICATION_FAILED);
    }

    private enum Kind { CLIENT, LOST, SERVER, AUTHENTICATION_FAILED }

    private void report(final DisconnectEventInput input, final Kind kind) {
        final ConnectionAttributeStore store = input.getConnectionInformation().getConnectionAttributeStore();
        final String clientId = input.getClientInformation().getClientId();
        hooks.disconnected(clientId, input.getConnectionInformation());
        final String username = ConnectionAttributes.username(store);
        final Optional<String> code = input.getReasonCode().map(c -> ReasonNames.fromConstant(c.name()));
        if (kind == Kind.AUTHENTICATION_FAILED) {
            final int protoVer = ConnectionAttributes.protoVer(input.getConnectionInformation().getMqttVersion());
            if (protoVer < 5 && !MQTT3_CONNACK_REASONS.contains(code.orElse(""))
                    && webhook.wants(EventType.CLIENT_CONNACK)) {
                // an MQTT 3 client refused with a reason MQTT 3 cannot express gets no CONNACK, so no interceptor
                // call: report its connack here (decided by the reason, not by a flag the interceptor may not
                // have set yet)
                webhook.publish(new ConnackEvent(clientId, username, protoVer, ConnectionAttributes.keepalive(store),
                        code.orElse(ReasonNames.NOT_AUTHORIZED)));
            }
        } else if (!ConnectionAttributes.connackReported(store)) {
            return;
        }
        if (!webhook.wants(EventType.CLIENT_DISCONNECTED)) {
            return;
        }
        final String reason;
        switch (kind) {
            case LOST:
                reason = ReasonNames.CONNECTION_LOST;
                break;
            case CLIENT:
                reason = code.orElse(ReasonNames.NORMAL); // MQTT 3 DISCONNECT carries no reason
                break;
            case AUTHENTICATION_FAILED:
                reason = code.orElse(ReasonNames.NOT_AUTHORIZED);
                break;
            default:
                reason = code.orElse(ReasonNames.UNSPECIFIED_ERROR);
                break;
        }
        webhook.publish(new DisconnectedEvent(clientId, username, reason));
    }
}
