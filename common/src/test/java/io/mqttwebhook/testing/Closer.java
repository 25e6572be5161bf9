package io.mqttwebhook.testing;

import java.util.ArrayList;
import java.util.List;

/** What a test opened, closed in reverse order after it (servers after the webhooks that post to them). */
public final class Closer implements AutoCloseable {

    private final List<AutoCloseable> closeables = new ArrayList<>();

    /** Registers {@code closeable} to be closed, and returns it. */
    public <T extends AutoCloseable> T add(final T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    @Override
    public void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        closeables.clear();
    }
}
