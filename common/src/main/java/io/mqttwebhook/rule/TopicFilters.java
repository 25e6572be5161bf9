package io.mqttwebhook.rule;

import java.util.Optional;

/** Validation of MQTT topic filters as written in rules, including {@code $share/<group>/<filter>}. */
public final class TopicFilters {

    private static final String SHARE_PREFIX = "$share/";

    private TopicFilters() {
    }

    /**
     * Why {@code filter} is not a valid MQTT topic filter, or empty when it is valid.
     */
    public static Optional<String> problem(final String filter) {
        if (filter.isEmpty()) {
            return Optional.of("a topic filter must not be empty");
        }
        if (filter.indexOf('\u0000') >= 0) {
            return Optional.of("a topic filter must not contain a NUL character");
        }
        String plain = filter;
        if (filter.startsWith(SHARE_PREFIX)) {
            final int slash = filter.indexOf('/', SHARE_PREFIX.length());
            if (slash < 0 || slash == SHARE_PREFIX.length() || slash == filter.length() - 1) {
                return Optional.of("a shared subscription is written $share/<group>/<filter>");
            }
            final String group = filter.substring(SHARE_PREFIX.length(), slash);
            if (group.contains("+") || group.contains("#")) {
                return Optional.of("a share group name must not contain + or #");
            }
            plain = filter.substring(slash + 1);
        }
        final String[] levels = plain.split("/", -1);
        for (int i = 0; i < levels.length; i++) {
            final String level = levels[i];
            if (level.contains("#")) {
                if (!level.equals("#")) {
                    return Optional.of("'#' must occupy a whole level");
                }
                if (i != levels.length - 1) {
                    return Optional.of("'#' is allowed only as the last level");
                }
            }
            if (level.contains("+") && !level.equals("+")) {
                return Optional.of("'+' must occupy a whole level");
            }
        }
        return Optional.empty();
    }

    /** The filter that is matched: {@code $share/<group>/<filter>} matches as {@code <filter>}. */
    public static String matchedPart(final String filter) {
        if (filter.startsWith(SHARE_PREFIX)) {
            return filter.substring(filter.indexOf('/', SHARE_PREFIX.length()) + 1);
        }
        return filter;
    }
}
