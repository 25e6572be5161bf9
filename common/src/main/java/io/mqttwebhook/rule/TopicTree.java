package io.mqttwebhook.rule;

import java.util.HashMap;
import java.util.Map;

/**
 * A set of topic filters, matched against a topic with MQTT's rules in time that depends on the topic's
 * depth and the wildcards along its path, not on the number of filters. Built once, then read-only and
 * safe to share between threads.
 */
public final class TopicTree {

    private final Node root = new Node();
    private int size;

    /** Adds a valid filter (see {@link TopicFilters#problem}); {@code $share/g/} is stripped. */
    public void add(final String filter) {
        final String plain = TopicFilters.matchedPart(filter);
        Node node = root;
        for (final String level : plain.split("/", -1)) {
            if (level.equals("#")) {
                node.multiLevel = true;
                size++;
                return;
            }
            if (level.equals("+")) {
                if (node.singleLevel == null) {
                    node.singleLevel = new Node();
                }
                node = node.singleLevel;
            } else {
                node = node.children.computeIfAbsent(level, k -> new Node());
            }
        }
        node.terminal = true;
        size++;
    }

    /** Number of filters added. */
    public int size() {
        return size;
    }

    /** Whether any filter matches {@code topic}. */
    public boolean matches(final String topic) {
        // MQTT 3.1.1 section 4.7.2: a filter starting with a wildcard does not match a topic starting with '$'
        final boolean system = topic.startsWith("$");
        return matches(root, topic, 0, system);
    }

    private static boolean matches(final Node node, final String topic, final int start, final boolean noWildcard) {
        if (node.multiLevel && !noWildcard) {
            return true;
        }
        if (start > topic.length()) {
            // past the last level: an exact end, or "a/#" matching "a"
            return node.terminal;
        }
        int end = topic.indexOf('/', start);
        if (end < 0) {
            end = topic.length();
        }
        final Node exact = node.children.isEmpty() ? null : node.children.get(topic.substring(start, end));
        if (exact != null && matches(exact, topic, end + 1, false)) {
            return true;
        }
        return node.singleLevel != null && !noWildcard && matches(node.singleLevel, topic, end + 1, false);
    }

    private static final class Node {
        private final Map<String, Node> children = new HashMap<>(4);
        private Node singleLevel;
        private boolean multiLevel;
        private boolean terminal;
    }
}
