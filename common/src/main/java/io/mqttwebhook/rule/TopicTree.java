package io.mqttwebhook.rule;

import org.jspecify.annotations.Nullable;
/**
 * A set of topic filters, each tagged with bits (the endpoints whose rules hold it), matched against a topic
 * with MQTT's rules in time that depends on the topic's depth and the wildcards along its path, not on the
 * number of filters: a match gives the union of the bits of every filter that matches. Built once, then
 * read-only and safe to share between threads; matching allocates nothing.
 */
public final class TopicTree {

    private final Node root = new Node();
    private int size;
    private int allBits;

    /** Adds a valid filter (see {@link TopicFilters#problem}) for bit 0; {@code $share/g/} is stripped. */
    public void add(final String filter) {
        add(filter, 1);
    }

    /** Adds a valid filter tagged with {@code bits}; {@code $share/g/} is stripped. */
    public void add(final String filter, final int bits) {
        final String plain = TopicFilters.matchedPart(filter);
        allBits |= bits;
        size++;
        Node node = root;
        for (final String level : plain.split("/", -1)) {
            if (level.equals("#")) {
                node.multiLevel |= bits;
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
        node.terminal |= bits;
    }

    /** Number of filters added. */
    public int size() {
        return size;
    }

    /** Whether any filter matches {@code topic}. */
    public boolean matches(final String topic) {
        return match(topic) != 0;
    }

    /** The union of the bits of the filters that match {@code topic}; 0 when none does. */
    public int match(final String topic) {
        // MQTT 3.1.1 section 4.7.2: a filter starting with a wildcard does not match a topic starting with '$'
        final boolean system = topic.startsWith("$");
        return match(root, topic, 0, system, 0);
    }

    private int match(final Node node, final String topic, final int start, final boolean noWildcard, final int found) {
        int bits = found;
        if (!noWildcard) {
            bits |= node.multiLevel;
        }
        if (bits == allBits) {
            return bits; // nothing more to learn
        }
        if (start > topic.length()) {
            // past the last level: an exact end, or "a/#" matching "a"
            return bits | node.terminal;
        }
        int end = topic.indexOf('/', start);
        if (end < 0) {
            end = topic.length();
        }
        final Node exact = node.children.find(topic, start, end);
        if (exact != null) {
            bits = match(exact, topic, end + 1, false, bits);
        }
        if (node.singleLevel != null && !noWildcard && bits != allBits) {
            bits = match(node.singleLevel, topic, end + 1, false, bits);
        }
        return bits;
    }

    private static final class Node {
        private final Children children = new Children();
        private @Nullable Node singleLevel;
        /** Bits of the filters ending here with {@code #}, which also match this level itself. */
        private int multiLevel;
        /** Bits of the filters ending exactly here. */
        private int terminal;
    }

    /**
     * A node's exact-level children: an open-addressing table looked up with a region of the topic, so that
     * matching a PUBLISH on a broker thread allocates nothing (no substring per level).
     */
    private static final class Children {
        private String[] keys = new String[0];
        private Node[] nodes = new Node[0];
        private int size;

        @Nullable Node find(final String topic, final int from, final int to) {
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
