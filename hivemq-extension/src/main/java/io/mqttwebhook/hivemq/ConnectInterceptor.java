package io.mqttwebhook.hivemq;

import com.hivemq.extension.sdk.api.interceptor.connect.ConnectInboundInterceptor;
import com.hivemq.extension.sdk.api.interceptor.connect.parameter.ConnectInboundInput;
import com.hivemq.extension.sdk.api.interceptor.connect.parameter.ConnectInboundOutput;
import com.hivemq.extension.sdk.api.packets.connect.ConnectPacket;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.event.ConnectEvent;
import io.mqttwebhook.event.EventType;

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
        ConnectionAttributes.storeConnect(input.getConnectionInformation().getConnectionAttributeStore(), username,
                connect.getKeepAlive());
        if (webhook.wants(EventType.CLIENT_CONNECT)) {
            webhook.publish(new ConnectEvent(EventType.CLIENT_CONNECT, connect.getClientId(), username,
                    input.getConnectionInformation().getInetAddress().map(InetAddress::getHostAddress).orElse(""),
                    connect.getKeepAlive(), ConnectionAttributes.protoVer(connect.getMqttVersion()),
                    System.currentTimeMillis()));
        }
    }
}
