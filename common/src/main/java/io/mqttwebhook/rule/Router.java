package io.mqttwebhook.rule;

import io.mqttwebhook.event.EventType;
import org.jspecify.annotations.Nullable;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The rules of every endpoint compiled for matching on a broker thread: for an event type and topic,
 * {@link #match} gives the set of endpoints that want the event as bits (bit i: endpoint i), from one topic
 * tree per event type whatever the number of endpoints. An endpoint is in the set when at least one of its
 * rules matches, so an event gives at most one request per endpoint however many of its rules match.
 * Immutable and thread-safe.
 */
public final class Router {

    /** Endpoints are bits of an int. */
    public static final int MAX_ENDPOINTS = 32;

    /** Per event type: the endpoints with a rule for every event of the type. */
    private final int[] everyTopic = new int[EventType.values().length];
    /** Per event type: the endpoints with at least one rule of the type, filtered or not. */
    private final int[] wanted = new int[EventType.values().length];
    private final Map<EventType, TopicTree> trees = new EnumMap<>(EventType.class);
    private final int ruleCount;

    /**
     * @param rulesByEndpoint the rules of endpoint i at index i; a rule's topic on an event type without
     *                        topics must have been dropped by the caller
     */
    public Router(final List<List<Rule>> rulesByEndpoint) {
        if (rulesByEndpoint.size() > MAX_ENDPOINTS) {
            throw new IllegalArgumentException("at most " + MAX_ENDPOINTS + " endpoints");
        }
        int count = 0;
        for (int i = 0; i < rulesByEndpoint.size(); i++) {
            final int bit = 1 << i;
            for (final Rule rule : rulesByEndpoint.get(i)) {
                count++;
                final int type = rule.event().ordinal();
                wanted[type] |= bit;
                if (rule.topic() == null || !rule.event().hasTopic()) {
                    everyTopic[type] |= bit;
                } else {
                    trees.computeIfAbsent(rule.event(), e -> new TopicTree()).add(rule.topic(), bit);
                }
            }
        }
        this.ruleCount = count;
    }

    /** Whether any endpoint has a rule for this event type: adapters skip building events nobody wants. */
    public boolean wants(final EventType type) {
        return wanted[type.ordinal()] != 0;
    }

    /**
     * The endpoints (as bits) that want an event of {@code type} with {@code topic} (null for events without
     * one); 0 for none. Allocates nothing.
     */
    public int match(final EventType type, final @Nullable String topic) {
        final int all = everyTopic[type.ordinal()];
        final int filtered = wanted[type.ordinal()] & ~all;
        if (filtered == 0 || topic == null) {
            return all;
        }
        return all | Objects.requireNonNull(trees.get(type)).match(topic);
    }

    public int ruleCount() {
        return ruleCount;
    }
}
