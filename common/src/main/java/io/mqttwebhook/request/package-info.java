/**
 * Request templates: the method, path, headers and body an endpoint receives, with their placeholders.
 *
 * <p>Nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.mqttwebhook.request;

import org.jspecify.annotations.NullMarked;
