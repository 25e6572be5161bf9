package io.mqttwebhook.config;

/** Delivery order guarantee. */
public enum Ordering {
    /** Events are sent as fast as the pool allows; retries may overtake. */
    NONE,
    /** Events of one client id are delivered in the order they happened. */
    PER_CLIENT
}
