/**
 * The plugin's own HTTP/1.1 client: non-blocking connections on one I/O thread, optional TLS, pipelining and a
 * response parser that works in place.
 *
 * <p>Nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.mqttwebhook.delivery.http;

import org.jspecify.annotations.NullMarked;
