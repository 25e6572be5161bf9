package io.mqttwebhook.testing;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test opened, closed in reverse order after it (servers after the webhooks that post to them). Register
 * it with {@code @RegisterExtension final Closer closer = new Closer();}.
 */
public final class Closer implements AfterEachCallback {

    private final List<AutoCloseable> closeables = new ArrayList<>();

    /** Registers {@code closeable} to be closed after the test, and returns it. */
    public <T extends AutoCloseable> T add(final T closeable) {
        closeables.add(closeable);
        return closeable;
    }

    @Override
    public void afterEach(final ExtensionContext context) throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
        closeables.clear();
    }
}
