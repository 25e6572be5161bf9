/**
 * Queues, the HTTP senders, retries, the circuit of each endpoint, dead letters and rate limits.
 *
 * <p>Nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.mqttwebhook.delivery;

import org.jspecify.annotations.NullMarked;
