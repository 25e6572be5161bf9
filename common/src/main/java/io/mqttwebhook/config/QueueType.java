package io.mqttwebhook.config;

/** Where events wait for delivery. */
public enum QueueType {
    MEMORY,
    DISK
}
