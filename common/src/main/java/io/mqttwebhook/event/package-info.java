/**
 * The events a broker adapter produces, their JSON bodies, and the compact codec the disk queue stores.
 *
 * <p>Nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.mqttwebhook.event;

import org.jspecify.annotations.NullMarked;
import org.jspecify.annotations.Nullable;
