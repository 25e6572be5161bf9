package io.mqttwebhook.rule;

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
                node = node.children.getOrAdd(level);
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
        final Node exact = node.children.find(topic, start, end);
        if (exact != null && matches(exact, topic, end + 1, false)) {
            return true;
        }
        return node.singleLevel != null && !noWildcard && matches(node.singleLevel, topic, end + 1, false);
    }

    private static final class Node {
        private final Children children = new Children();
        private Node singleLevel;
        private boolean multiLevel;
        private boolean terminal;
    }

    /**
     * A node's exact-level children: an open-addressing table looked up with a region of the topic, so that
     * matching a PUBLISH on a broker thread allocates nothing (no substring per level).
     */
    private static final class Children {
        private String[] keys = new String[0];
        private Node[] nodes = new Node[0];
        private int size;

        Node find(final String topic, final int from, final int to) {
            if (size == 0) {
                return null;
            }
            final int length = to - from;
            final int mask = keys.length - 1;
            for (int i = spread(hash(topic, from, to)) & mask; ; i = (i + 1) & mask) {
                final String key = keys[i];
                if (key == null) {
                    return null;
                }
                if (key.length() == length && topic.regionMatches(from, key, 0, length)) {
                    return nodes[i];
                }
            }
        }

        Node getOrAdd(final String level) {
            final Node existing = find(level, 0, level.length());
            if (existing != null) {
                return existing;
            }
            if ((size + 1) * 2 > keys.length) {
                resize(Math.max(4, keys.length * 2));
            }
            final Node node = new Node();
            insert(level, node);
            size++;
            return node;
        }

        private void resize(final int capacity) {
            final String[] oldKeys = keys;
            final Node[] oldNodes = nodes;
            keys = new String[capacity];
            nodes = new Node[capacity];
            for (int i = 0; i < oldKeys.length; i++) {
                if (oldKeys[i] != null) {
                    insert(oldKeys[i], oldNodes[i]);
                }
            }
        }

        private void insert(final String key, final Node node) {
            final int mask = keys.length - 1;
            int i = spread(key.hashCode()) & mask;
            while (keys[i] != null) {
                i = (i + 1) & mask;
            }
            keys[i] = key;
            nodes[i] = node;
        }

        /** String.hashCode of {@code s.substring(from, to)}, without the substring. */
        private static int hash(final String s, final int from, final int to) {
            int h = 0;
            for (int i = from; i < to; i++) {
                h = 31 * h + s.charAt(i);
            }
            return h;
        }

        private static int spread(final int h) {
            return h ^ (h >>> 16);
        }
    }
}
