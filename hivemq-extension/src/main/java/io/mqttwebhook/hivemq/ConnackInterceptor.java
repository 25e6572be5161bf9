package io.mqttwebhook.hivemq;

import com.hivemq.extension.sdk.api.client.parameter.ConnectionAttributeStore;
import com.hivemq.extension.sdk.api.client.parameter.ConnectionInformation;
import com.hivemq.extension.sdk.api.interceptor.connack.ConnackOutboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.connack.parameter.ConnackOutboundInput;
import com.hivemq.extension.sdk.api.interceptor.connack.parameter.ConnackOutboundOutput;
import com.hivemq.extension.sdk.api.packets.connack.ConnackPacket;
import com.hivemq.extension.sdk.api.packets.connect.ConnackReasonCode;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.event.ConnackEvent;
import io.mqttwebhook.event.ConnectEvent;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.ReasonNames;

import java.net.InetAddress;

/** CONNACK: reports {@code on_client_connack} (success or the refusal's reason) and {@code on_client_connected}. */
final class ConnackInterceptor implements ConnackOutboundInterceptor {

    private final Webhook webhook;

    ConnackInterceptor(final Webhook webhook) {
        this.webhook = webhook;
    }

    @Override
    public void onOutboundConnack(final ConnackOutboundInput input, final ConnackOutboundOutput output) {
        final ConnackPacket connack = input.getConnackPacket();
        final ConnectionInformation connection = input.getConnectionInformation();
        final ConnectionAttributeStore store = connection.getConnectionAttributeStore();
        final String clientId = input.getClientInformation().getClientId();
        final String username = ConnectionAttributes.username(store);
        final int keepalive = ConnectionAttributes.keepalive(store);
        final int protoVer = ConnectionAttributes.protoVer(connection.getMqttVersion());
        ConnectionAttributes.markConnack(store);
        if (webhook.wants(EventType.CLIENT_CONNACK)) {
            webhook.publish(new ConnackEvent(clientId, username, protoVer, keepalive,
                    ReasonNames.fromConstant(connack.getReasonCode().name())));
        }
        if (connack.getReasonCode() == ConnackReasonCode.SUCCESS && webhook.wants(EventType.CLIENT_CONNECTED)) {
            webhook.publish(new ConnectEvent(EventType.CLIENT_CONNECTED, clientId, username,
                    connection.getInetAddress().map(InetAddress::getHostAddress).orElse(""), keepalive, protoVer,
                    System.currentTimeMillis(), ConnectionAttributes.userProperties(store)));
        }
    }
}
