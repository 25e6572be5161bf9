package io.mqttwebhook.hivemq;

import com.hivemq.extension.sdk.api.ExtensionMain;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStartOutput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopInput;
import com.hivemq.extension.sdk.api.parameter.ExtensionStopOutput;
import com.hivemq.extension.sdk.api.services.Services;
import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.ConfigException;
import io.mqttwebhook.config.ConfigLoader;
import io.mqttwebhook.config.LoadResult;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.event.EventType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

/**
 * The HiveMQ extension: reads {@code conf/webhook.conf} (or the file named by {@code mqtt.webhook.config} /
 * {@code MQTT_WEBHOOK_CONFIG}), starts the core, registers the interceptors and the lifecycle listener,
 * and publishes the core's metrics in HiveMQ's registry. A configuration error prevents only this
 * extension from starting; HiveMQ runs on.
 */
public final class WebhookExtensionMain implements ExtensionMain {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookExtensionMain.class);

    /** Events HiveMQ CE shows to an extension in this version; the rest are refused at start. */
    /** HiveMQ CE gives extensions no callback when a session expires or is removed. */
    static final Set<EventType> SUPPORTED = EnumSet.complementOf(EnumSet.of(EventType.SESSION_TERMINATED));

    private volatile Webhook webhook;
    private volatile MetricsBridge metrics;

    @Override
    public void extensionStart(final ExtensionStartInput input, final ExtensionStartOutput output) {
        final Path file = ConfigLoader.overriddenLocation()
                .orElse(input.getExtensionInformation().getExtensionHomeFolder().toPath().resolve("conf").resolve("webhook.conf"));
        final LoadResult result;
        try {
            result = ConfigLoader.load(file);
        } catch (final ConfigException e) {
            LOG.error("mqtt-webhook: configuration error, the extension does not start: {}", e.getMessage());
            output.preventExtensionStartup("mqtt-webhook configuration error: " + e.getMessage());
            return;
        }
        result.warnings().forEach(warning -> LOG.warn("mqtt-webhook: {}", warning));
        if (result.config().isEmpty()) {
            LOG.warn("mqtt-webhook: {}; nothing will be posted", result.disabledReason());
            return;
        }
        final WebhookConfig config = result.config().get();
        for (final EventType type : config.eventTypes()) {
            if (!SUPPORTED.contains(type)) {
                LOG.warn("mqtt-webhook: event {} is not visible to extensions on HiveMQ CE; its rules are ignored"
                        + " and it is never posted", type.configName());
            }
        }
        if (config.prometheusPort().isPresent()) {
            LOG.warn("mqtt-webhook: metrics.prometheus.port is for Moquette and ignored on HiveMQ: HiveMQ's Prometheus"
                    + " extension exports these metrics from HiveMQ's registry");
        }
        // returns at once: queues open and HTTP clients start on the plugin's own thread, events queue meanwhile
        webhook = Webhook.start(config);
        metrics = new MetricsBridge(webhook.metrics().registry(), Services.metricRegistry());
        register(webhook);
        // HiveMQ CE loads extensions only at start: a changed file is applied while running
        webhook.watch(file);
    }

    private static void register(final Webhook webhook) {
        final ConnectInterceptor connect = new ConnectInterceptor(webhook);
        final ConnackInterceptor connack = new ConnackInterceptor(webhook);
        final ClientHooks hooks = new ClientHooks(webhook);
        final LifecycleListener lifecycle = new LifecycleListener(webhook, hooks);
        // connect/connack interceptors also keep username and keepalive for the other events
        Services.interceptorRegistry().setConnectInboundInterceptorProvider(providerInput -> connect);
        Services.interceptorRegistry().setConnackOutboundInterceptorProvider(providerInput -> connack);
        Services.eventRegistry().setClientLifecycleEventListener(providerInput -> lifecycle);
        // per-client interceptors only for the events the rules want; a reload adds or removes them on every
        // connected client (HiveMQ's hand-off of each intercepted packet costs even when nothing matches)
        Services.initializerRegistry().setClientInitializer(hooks::initialize);
        webhook.onReload(hooks::rulesChanged);
    }

    @Override
    public void extensionStop(final ExtensionStopInput input, final ExtensionStopOutput output) {
        final Webhook running = webhook;
        webhook = null;
        if (running != null) {
            running.close();
        }
        final MetricsBridge bridge = metrics;
        metrics = null;
        if (bridge != null) {
            bridge.close();
        }
    }
}
