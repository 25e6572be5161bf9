package io.mqttwebhook.rule;

import io.mqttwebhook.event.EventType;
import org.jspecify.annotations.Nullable;

import java.util.Objects;

/** One configured rule: an event name and an optional topic filter (null: every topic). */
public final class Rule {

    private final EventType event;
    private final @Nullable String topic;

    public Rule(final EventType event, final @Nullable String topic) {
        this.event = Objects.requireNonNull(event, "event");
        this.topic = topic;
    }

    public EventType event() {
        return event;
    }

    /** The topic filter, or null when the rule matches every event of its type. */
    public @Nullable String topic() {
        return topic;
    }

    @Override
    public boolean equals(final Object o) {
        if (!(o instanceof Rule)) {
            return false;
        }
        final Rule other = (Rule) o;
        return event == other.event && Objects.equals(topic, other.topic);
    }

    @Override
    public int hashCode() {
        return Objects.hash(event, topic);
    }

    @Override
    public String toString() {
        return topic == null ? event.configName() : event.configName() + " " + topic;
    }
}
