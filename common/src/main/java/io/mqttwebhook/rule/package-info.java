/**
 * Rules and the topic tree that decide which events go to which endpoint.
 *
 * <p>Nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.mqttwebhook.rule;

import org.jspecify.annotations.NullMarked;
