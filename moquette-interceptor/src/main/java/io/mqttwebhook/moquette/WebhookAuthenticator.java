package io.mqttwebhook.moquette;

import io.moquette.broker.config.IConfig;
import io.moquette.broker.security.AcceptAllAuthenticator;
import io.moquette.broker.security.IAuthenticator;
import io.moquette.broker.security.ResourceAuthenticator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.reflect.InvocationTargetException;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Moquette authenticates CONNECTs without telling interceptors about refusals; this authenticator wraps
 * the real one and reports each refusal (a connack {@code bad_username_or_password} and its disconnected
 * event) to the webhook. It runs on a Netty I/O thread, so it only enqueues.
 * <p>
 * Standalone Moquette: {@code authenticator_class io.mqttwebhook.moquette.WebhookAuthenticator} in
 * {@code moquette.conf}. It then authenticates exactly as Moquette would with that file
 * ({@code password_file}, or everyone), or delegates to the class named by {@code webhook.authenticator_class}
 * (constructed like Moquette does: with the {@code IConfig}, else without arguments). Embedded: pass
 * {@code new WebhookAuthenticator(yourAuthenticator, handler)} to {@code Server.startServer}.
 */
public final class WebhookAuthenticator implements IAuthenticator {

    private static final Logger LOG = LoggerFactory.getLogger(WebhookAuthenticator.class);

    private final IAuthenticator delegate;
    private final Supplier<WebhookInterceptHandler> handler;

    /** Embedded: wraps {@code delegate} and reports refusals to {@code handler}. */
    public WebhookAuthenticator(final IAuthenticator delegate, final WebhookInterceptHandler handler) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        Objects.requireNonNull(handler, "handler");
        this.handler = () -> handler;
    }

    /** For {@code authenticator_class}: Moquette passes its configuration. */
    public WebhookAuthenticator(final IConfig config) {
        this.delegate = delegateFor(config);
        // the handler named by intercept.handler is built by the same startServer, before this authenticator
        this.handler = WebhookInterceptHandler::latest;
        LOG.info("mqtt-webhook: authenticating with {} and reporting refusals", delegate.getClass().getName());
    }

    private static IAuthenticator delegateFor(final IConfig config) {
        final WebhookInterceptHandler handler = WebhookInterceptHandler.latest();
        final String className = handler == null ? null : handler.authenticatorClass();
        if (className != null && !className.isBlank()) {
            return instantiate(className.trim(), config);
        }
        final String passwords = config.getProperty(IConfig.PASSWORD_FILE_PROPERTY_NAME, "");
        return passwords.isEmpty() ? new AcceptAllAuthenticator()
                : new ResourceAuthenticator(config.getResourceLoader(), passwords);
    }

    private static IAuthenticator instantiate(final String className, final IConfig config) {
        try {
            final Class<? extends IAuthenticator> type =
                    Class.forName(className, true, WebhookAuthenticator.class.getClassLoader()).asSubclass(IAuthenticator.class);
            try {
                return type.getConstructor(IConfig.class).newInstance(config);
            } catch (final NoSuchMethodException noConfigConstructor) {
                return type.getDeclaredConstructor().newInstance();
            }
        } catch (final ClassNotFoundException | ClassCastException | NoSuchMethodException | InstantiationException
                       | IllegalAccessException | InvocationTargetException e) {
            final String message = "mqtt-webhook: webhook.authenticator_class " + className
                    + " cannot be used as a Moquette IAuthenticator: " + e;
            LOG.error(message);
            throw new IllegalArgumentException(message, e);
        }
    }

    @Override
    public boolean checkValid(final String clientId, final String username, final byte[] password) {
        final boolean valid = delegate.checkValid(clientId, username, password);
        if (!valid) {
            final WebhookInterceptHandler current = handler.get();
            if (current != null) {
                current.refused(clientId, username);
            }
        }
        return valid;
    }
}
