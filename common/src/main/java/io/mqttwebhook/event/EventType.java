package io.mqttwebhook.event;

import java.util.Locale;
import java.util.Optional;

/**
 * The twelve event names NanoMQ's configuration accepts, with the {@code action} each body carries and
 * whether the event has a topic that rules can filter on.
 */
public enum EventType {
    CLIENT_CONNECT("on_client_connect", false),
    CLIENT_CONNACK("on_client_connack", false),
    CLIENT_CONNECTED("on_client_connected", false),
    CLIENT_DISCONNECTED("on_client_disconnected", false),
    CLIENT_SUBSCRIBE("on_client_subscribe", true),
    CLIENT_UNSUBSCRIBE("on_client_unsubscribe", true),
    SESSION_SUBSCRIBED("on_session_subscribed", true),
    SESSION_UNSUBSCRIBED("on_session_unsubscribed", true),
    SESSION_TERMINATED("on_session_terminated", false),
    MESSAGE_PUBLISH("on_message_publish", true),
    MESSAGE_DELIVERED("on_message_delivered", true),
    MESSAGE_ACKED("on_message_acked", true);

    private final String configName;
    private final String action;
    private final boolean hasTopic;

    EventType(final String configName, final boolean hasTopic) {
        this.configName = configName;
        this.action = configName.substring("on_".length());
        this.hasTopic = hasTopic;
    }

    /** The name used in configuration rules, e.g. {@code on_message_publish}. */
    public String configName() {
        return configName;
    }

    /** The {@code action} value of the JSON body, e.g. {@code message_publish}. */
    public String action() {
        return action;
    }

    /** Whether events of this type carry a topic that a rule's {@code topic} filters on. */
    public boolean hasTopic() {
        return hasTopic;
    }

    /** Looks up a configuration name, case-insensitively. */
    public static Optional<EventType> fromConfigName(final String name) {
        final String lower = name.trim().toLowerCase(Locale.ROOT);
        for (final EventType type : values()) {
            if (type.configName.equals(lower)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }

    /** Every configuration name, comma separated, for error messages. */
    public static String allConfigNames() {
        final StringBuilder names = new StringBuilder();
        for (final EventType type : values()) {
            if (names.length() > 0) {
                names.append(", ");
            }
            names.append(type.configName);
        }
        return names.toString();
    }
}
