/**
 * The broker-agnostic core: a {@link io.mqttwebhook.Webhook} takes events from a broker adapter, matches them against the rules and hands them to the delivery of each endpoint.
 *
 * <p>Nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.mqttwebhook;

import org.jspecify.annotations.NullMarked;
