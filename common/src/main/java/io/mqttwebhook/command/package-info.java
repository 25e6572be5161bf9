/**
 * The operator's commands of the check jar: inspecting a disk queue, replaying dead letters.
 *
 * <p>Nothing here is null unless its type says {@code @Nullable}.
 */
@NullMarked
package io.mqttwebhook.command;

import org.jspecify.annotations.NullMarked;
