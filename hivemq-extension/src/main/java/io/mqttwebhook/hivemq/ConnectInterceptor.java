package io.mqttwebhook.hivemq;

import com.hivemq.extension.sdk.api.interceptor.connect.ConnectInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.connect.parameter.ConnectInboundInput;
import com.hivemq.extension.sdk.api.interceptor.connect.parameter.ConnectInboundOutput;
import com.hivemq.extension.sdk.api.packets.connect.ConnectPacket;
import com.hivemq.extension.sdk.api.client.parameter.ConnectionAttributeStore;
import io.mqttwebhook.Routing;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.event.ConnectEvent;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.Mqtt5Properties;

import java.net.InetAddress;

/** CONNECT: remembers username and keepalive for the connack event, and reports {@code on_client_connect}. */
final class ConnectInterceptor implements ConnectInboundInterceptor {

    private final Webhook webhook;

    ConnectInterceptor(final Webhook webhook) {
        this.webhook = webhook;
    }

    @Override
    public void onConnect(final ConnectInboundInput input, final ConnectInboundOutput output) {
        final ConnectPacket connect = input.getConnectPacket();
        final String username = connect.getUserName().orElse(null);
        final ConnectionAttributeStore store = input.getConnectionInformation().getConnectionAttributeStore();
        ConnectionAttributes.storeConnect(store, username, connect.getKeepAlive());
        final Routing routing = webhook.routing();
        if (routing.wantsProperties() && !connect.getUserProperties().isEmpty()) {
            // for client_connected, whose CONNACK interceptor does not see the CONNECT
            ConnectionAttributes.storeUserProperties(store, PacketProperties.of(connect.getUserProperties()));
        }
        final int targets = routing.match(EventType.CLIENT_CONNECT, null);
        if (targets != 0) {
            routing.offer(new ConnectEvent(EventType.CLIENT_CONNECT, connect.getClientId(), username,
                    input.getConnectionInformation().getInetAddress().map(InetAddress::getHostAddress).orElse(""),
                    connect.getKeepAlive(), ConnectionAttributes.protoVer(connect.getMqttVersion()),
                    System.currentTimeMillis(), routing.wantsProperties(targets)
                    ? PacketProperties.of(connect.getUserProperties()) : Mqtt5Properties.NONE), targets);
        }
    }
}
