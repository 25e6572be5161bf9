package io.mqttwebhook;

import io.mqttwebhook.delivery.Endpoint;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.WebhookEvent;
import io.mqttwebhook.metrics.WebhookMetrics;
import io.mqttwebhook.rule.Router;
import org.jspecify.annotations.Nullable;

import java.util.List;

/**
 * What a broker thread uses, as one immutable snapshot of the configuration in force: the compiled rules and
 * the endpoints their bits stand for. The publish path is {@code routing.match(type, topic)}, and only when
 * that is not 0 (after copying the payload) {@code routing.offer(event, targets)}: one match, one offer per
 * endpoint matched. A reload replaces the snapshot; an adapter that read the old one offers to the endpoints
 * it names, which count a late event even if they were removed meanwhile.
 */
public final class Routing {

    private final Router router;
    private final Endpoint[] endpoints;
    private final WebhookMetrics metrics;
    /** The endpoints (as bits) whose requests show MQTT 5 properties. */
    private final int propertyEndpoints;

    Routing(final Router router, final List<Endpoint> endpoints, final WebhookMetrics metrics) {
        this.router = router;
        this.endpoints = endpoints.toArray(new Endpoint[0]);
        this.metrics = metrics;
        int bits = 0;
        for (int i = 0; i < this.endpoints.length; i++) {
            if (this.endpoints[i].config().wantsProperties()) {
                bits |= 1 << i;
            }
        }
        this.propertyEndpoints = bits;
    }

    /** Whether one of these endpoints shows MQTT 5 properties: only then does an adapter copy them. */
    public boolean wantsProperties(final int targets) {
        return (targets & propertyEndpoints) != 0;
    }

    /** Whether any endpoint shows MQTT 5 properties (for events whose endpoints are matched later). */
    public boolean wantsProperties() {
        return propertyEndpoints != 0;
    }

    /** Whether any endpoint has a rule for this event type: adapters skip building events nobody wants. */
    public boolean wants(final EventType type) {
        return router.wants(type);
    }

    /** The endpoints (as bits) that want an event of {@code type} and {@code topic} (null when it has none). */
    public int match(final EventType type, final @Nullable String topic) {
        return router.match(type, topic);
    }

    /** Offers {@code event} to the endpoints {@link #match} gave, in constant time per endpoint; never blocks. */
    public void offer(final WebhookEvent event, final int targets) {
        metrics.matched(event.type());
        int bits = targets;
        while (bits != 0) {
            endpoints[Integer.numberOfTrailingZeros(bits)].offer(event);
            bits &= bits - 1;
        }
    }

    /** Matches and offers in one call, for events whose fields cost nothing to build. */
    public void publish(final WebhookEvent event) {
        final int targets = match(event.type(), event.topic());
        if (targets != 0) {
            offer(event, targets);
        }
    }
}
