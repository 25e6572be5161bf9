package io.mqttwebhook.rule;

import io.mqttwebhook.event.EventType;

import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;

/**
 * The rules of a configuration, compiled for matching: per event type, either "every event" or a
 * {@link TopicTree}. An event matches when at least one rule of its type matches; how many rules match
 * does not matter, so one event gives at most one request. Immutable and thread-safe.
 */
public final class RuleSet {

    private final Set<EventType> matchAll = EnumSet.noneOf(EventType.class);
    private final Map<EventType, TopicTree> trees = new EnumMap<>(EventType.class);
    private final int ruleCount;

    /** Rules with a topic on an event type without topics must have been dropped by the caller. */
    public RuleSet(final Collection<Rule> rules) {
        for (final Rule rule : rules) {
            if (rule.topic() == null || !rule.event().hasTopic()) {
                matchAll.add(rule.event());
            } else {
                trees.computeIfAbsent(rule.event(), e -> new TopicTree()).add(rule.topic());
            }
        }
        for (final EventType all : matchAll) {
            trees.remove(all);
        }
        this.ruleCount = rules.size();
    }

    /** Whether any rule exists for this event type: adapters skip building events nobody wants. */
    public boolean wants(final EventType type) {
        return matchAll.contains(type) || trees.containsKey(type);
    }

    /** Whether an event of {@code type} with {@code topic} (null for events without one) is posted. */
    public boolean matches(final EventType type, final String topic) {
        if (matchAll.contains(type)) {
            return true;
        }
        final TopicTree tree = trees.get(type);
        return tree != null && topic != null && tree.matches(topic);
    }

    /** The event types that have at least one rule. */
    public Set<EventType> eventTypes() {
        final Set<EventType> types = EnumSet.noneOf(EventType.class);
        types.addAll(trees.keySet());
        types.addAll(matchAll);
        return types;
    }

    public int ruleCount() {
        return ruleCount;
    }
}
