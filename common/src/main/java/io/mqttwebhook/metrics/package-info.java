/**
 * The counters, gauges and timers of each endpoint, in Dropwizard's types.
 *
 * <p>Nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.mqttwebhook.metrics;

import org.jspecify.annotations.NullMarked;
