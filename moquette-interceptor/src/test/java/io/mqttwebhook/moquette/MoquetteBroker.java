package io.mqttwebhook.moquette;

import io.moquette.broker.Server;
import io.moquette.broker.config.IConfig;
import io.moquette.broker.config.MemoryConfig;
import io.moquette.broker.security.IAuthenticator;
import io.moquette.interception.InterceptHandler;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Properties;

import static org.awaitility.Awaitility.await;

/** A real Moquette 0.17, in-process on 127.0.0.1 with a free port, no persistence and no telemetry. */
final class MoquetteBroker implements AutoCloseable {

    final Server server = new Server();

    static Properties defaults() {
        final Properties properties = new Properties();
        properties.setProperty(IConfig.HOST_PROPERTY_NAME, "127.0.0.1");
        properties.setProperty(IConfig.PORT_PROPERTY_NAME, "0");
        properties.setProperty(IConfig.PERSISTENCE_ENABLED_PROPERTY_NAME, "false");
        properties.setProperty(IConfig.ENABLE_TELEMETRY_NAME, "false");
        properties.setProperty(IConfig.ALLOW_ANONYMOUS_PROPERTY_NAME, "true");
        return properties;
    }

    /** Embedded: handlers and authenticator given in code. */
    MoquetteBroker(final List<? extends InterceptHandler> handlers, final IAuthenticator authenticator) throws IOException {
        server.startServer(new MemoryConfig(defaults()), handlers, null, authenticator, null);
        awaitPort();
    }

    /** Standalone-like: everything from configuration properties (intercept.handler, authenticator_class, ...). */
    MoquetteBroker(final Properties properties) throws IOException {
        server.startServer(new MemoryConfig(properties));
        awaitPort();
    }

    private void awaitPort() {
        await().until(() -> server.getPort() != 0);
    }

    int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.stopServer();
    }

    /** A webhook metric through the handler's JMX bean, as an operator reads it ({@code attribute} as in JConsole). */
    static long jmx(final WebhookInterceptHandler handler, final String attribute) {
        try {
            return (Long) ManagementFactory.getPlatformMBeanServer()
                    .getAttribute(handler.jmx().objectName(), attribute);
        } catch (final Exception e) {
            throw new AssertionError(e);
        }
    }
}
