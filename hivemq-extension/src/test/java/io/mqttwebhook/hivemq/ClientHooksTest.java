package io.mqttwebhook.hivemq;

import com.hivemq.extension.sdk.api.client.ClientContext;
import com.hivemq.extension.sdk.api.client.parameter.ClientInformation;
import com.hivemq.extension.sdk.api.client.parameter.ConnectionAttributeStore;
import com.hivemq.extension.sdk.api.client.parameter.ConnectionInformation;
import com.hivemq.extension.sdk.api.client.parameter.InitializerInput;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.config.WebhookConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** Which per-client interceptors a connection carries, with SDK inputs faked by proxies. */
class ClientHooksTest {

    private Webhook webhook;

    @AfterEach
    void close() {
        if (webhook != null) {
            webhook.close();
        }
    }

    private static WebhookConfig config(final String events) {
        return ConfigLoader.parse("webhook { url = \"http://127.0.0.1:9/\"\n events = [ " + events + " ] }", "test")
                .config().orElseThrow();
    }

    /** A ClientContext that records the names of the add/remove calls made on it. */
    private static ClientContext recording(final List<String> calls) {
        return (ClientContext) Proxy.newProxyInstance(ClientHooksTest.class.getClassLoader(),
                new Class<?>[]{ClientContext.class}, (proxy, method, args) -> {
                    calls.add(method.getName());
                    return null;
                });
    }

    private static InitializerInput input(final String clientId, final ConnectionInformation connection) {
        final ClientInformation client = (ClientInformation) Proxy.newProxyInstance(ClientHooksTest.class.getClassLoader(),
                new Class<?>[]{ClientInformation.class}, (proxy, method, args) ->
                        method.getName().equals("getClientId") ? clientId : null);
        return (InitializerInput) Proxy.newProxyInstance(ClientHooksTest.class.getClassLoader(),
                new Class<?>[]{InitializerInput.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "getClientInformation":
                            return client;
                        case "getConnectionInformation":
                            return connection;
                        default:
                            return null;
                    }
                });
    }

    private static ConnectionInformation connection() {
        final ConnectionAttributeStore store = (ConnectionAttributeStore) Proxy.newProxyInstance(
                ClientHooksTest.class.getClassLoader(), new Class<?>[]{ConnectionAttributeStore.class},
                (proxy, method, args) -> Optional.empty());
        return (ConnectionInformation) Proxy.newProxyInstance(ClientHooksTest.class.getClassLoader(),
                new Class<?>[]{ConnectionInformation.class}, (proxy, method, args) ->
                        method.getName().equals("getConnectionAttributeStore") ? store : null);
    }

    @Test
    void aConnectionCarriesOnlyTheInterceptorsTheRulesWant() {
        webhook = Webhook.start(config("{ event = on_client_connack }"));
        final ClientHooks hooks = new ClientHooks(webhook);
        final List<String> calls = new CopyOnWriteArrayList<>();
        hooks.initialize(input("a", connection()), recording(calls));
        // connack is seen by the broker-wide interceptor: nothing per client, so no hand-off per packet
        assertThat(calls).isEmpty();

        webhook.reconfigure(config("{ event = on_message_publish }, { event = on_session_subscribed },"
                + " { event = on_message_acked }"));
        hooks.rulesChanged();
        assertThat(calls).containsExactlyInAnyOrder("addPublishInboundInterceptor", "addSubscribeInboundInterceptor",
                "addSubackOutboundInterceptor", "addPubackInboundInterceptor", "addPubcompInboundInterceptor");

        calls.clear();
        webhook.reconfigure(config("{ event = on_message_publish }, { event = on_message_delivered },"
                + " { event = on_client_unsubscribe }"));
        hooks.rulesChanged();
        assertThat(calls).containsExactlyInAnyOrder("removeSubscribeInboundInterceptor", "removeSubackOutboundInterceptor",
                "removePubackInboundInterceptor", "removePubcompInboundInterceptor", "addPublishOutboundInterceptor",
                "addUnsubscribeInboundInterceptor", "addUnsubackOutboundInterceptor");
    }

    @Test
    void aNewConnectionGetsTheCurrentRulesAndATakeoverIsNotForgottenWhenTheOldConnectionEnds() {
        webhook = Webhook.start(config("{ event = on_message_publish }"));
        final ClientHooks hooks = new ClientHooks(webhook);
        final List<String> first = new CopyOnWriteArrayList<>();
        final List<String> second = new CopyOnWriteArrayList<>();
        final ConnectionInformation firstConnection = connection();
        hooks.initialize(input("a", firstConnection), recording(first));
        assertThat(first).containsExactly("addPublishInboundInterceptor");

        // the same client id connects again (takeover); the old connection's end is reported after that
        hooks.initialize(input("a", connection()), recording(second));
        hooks.disconnected("a", firstConnection);
        webhook.reconfigure(config("{ event = on_client_connack }"));
        hooks.rulesChanged();
        assertThat(second).containsExactly("addPublishInboundInterceptor", "removePublishInboundInterceptor");
        // the ended connection is no longer followed
        assertThat(first).containsExactly("addPublishInboundInterceptor");
    }
}
