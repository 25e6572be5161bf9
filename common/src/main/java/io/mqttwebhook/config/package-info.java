/**
 * Reading the configuration: NanoMQ's {@code webhook} block and its extensions, with every error named by file, line and key.
 *
 * <p>Nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.mqttwebhook.config;

import org.jspecify.annotations.NullMarked;
