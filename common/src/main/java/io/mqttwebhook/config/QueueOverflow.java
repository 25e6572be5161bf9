package io.mqttwebhook.config;

/** What a full queue does with one more event. A broker thread is never blocked, so there is no "block". */
public enum QueueOverflow {
    /** Drop the oldest waiting event to make room (the default): the freshest state wins. */
    DROP_OLDEST,
    /** Refuse the new event. */
    DROP_NEWEST
}
