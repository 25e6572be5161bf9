package io.mqttwebhook.request;

import io.mqttwebhook.event.EventBodies;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.WebhookEvent;
import org.jspecify.annotations.Nullable;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The request an endpoint wants, compiled once from its configuration: the method ({@code POST}, {@code PUT},
 * {@code PATCH}), a {@code path} appended to the url's, header values, and a {@code body.template}; each may
 * hold placeholders ({@link Placeholders}). Without any of these the request is NanoMQ's: POST to the url with
 * the default body. Rendering runs on the plugin's threads, never on a broker thread, and parses nothing.
 */
public final class RequestTemplate {

    /** The methods a webhook request may use. */
    public static final List<String> METHODS = List.of("POST", "PUT", "PATCH");

    private final String method;
    private final @Nullable Template path;
    private final Map<String, Template> headers;
    private final @Nullable Template body;

    private RequestTemplate(final String method, final @Nullable Template path, final Map<String, Template> headers,
                            final @Nullable Template body) {
        this.method = method;
        this.path = path;
        this.headers = Collections.unmodifiableMap(headers);
        this.body = body;
    }

    /** A problem of one key, for the loader to report with its file and line. */
    public static final class KeyException extends Exception {
        private static final long serialVersionUID = 1L;
        private final String key;
        private final String reason;

        KeyException(final String key, final String message) {
            super(message);
            this.key = key;
            this.reason = message;
        }

        @Override
        public String getMessage() {
            return reason;
        }

        /** The key as written in the endpoint's block: {@code path}, {@code body.template}, {@code headers.x}. */
        public String key() {
            return key;
        }
    }

    /**
     * Compiles the request of an endpoint whose rules name {@code types}.
     *
     * @param method       null for POST
     * @param path         null for none
     * @param headerValues every configured header (constant ones stay constant)
     * @param bodyTemplate null for the default body
     */
    public static RequestTemplate compile(final @Nullable String method, final @Nullable String path,
                                          final Map<String, String> headerValues,
                                          final @Nullable String bodyTemplate,
                                          final Set<EventType> types) throws KeyException {
        final Set<String> known = Placeholders.known(types);
        final String upper = method == null ? "POST" : method.trim().toUpperCase(Locale.ROOT);
        if (!METHODS.contains(upper)) {
            throw new KeyException("method", "\"" + method + "\" is not one of " + String.join(", ", METHODS));
        }
        @Nullable Template compiledPath = null;
        if (path != null) {
            if (!path.startsWith("/")) {
                throw new KeyException("path", "must start with /, found \"" + path + "\"");
            }
            compiledPath = parse("path", path, Template.Kind.PATH, known);
        }
        final Map<String, Template> compiledHeaders = new LinkedHashMap<>();
        for (final Map.Entry<String, String> header : headerValues.entrySet()) {
            final Template value = parse("headers." + header.getKey(), header.getValue(), Template.Kind.HEADER, known);
            if (!value.isConstant()) {
                compiledHeaders.put(header.getKey(), value);
            }
        }
        final @Nullable Template compiledBody = bodyTemplate == null ? null
                : parse("body.template", bodyTemplate, Template.Kind.JSON, known);
        return new RequestTemplate(upper, compiledPath, compiledHeaders, compiledBody);
    }

    private static Template parse(final String key, final String text, final Template.Kind kind, final Set<String> known)
            throws KeyException {
        try {
            return Template.parse(text, kind, known);
        } catch (final Template.TemplateException e) {
            throw new KeyException(key, e.getMessage());
        }
    }

    public String method() {
        return method;
    }

    /** Whether the url or headers depend on the event: one request per event then (no batching). */
    public boolean perEvent() {
        return (path != null && !path.isConstant()) || !headers.isEmpty();
    }

    /** Whether a template names an MQTT 5 property: the adapter must then copy them. */
    public boolean usesProperties() {
        final List<Template> all = new ArrayList<>(headers.values());
        if (path != null) {
            all.add(path);
        }
        if (body != null) {
            all.add(body);
        }
        for (final Template template : all) {
            for (final String name : template.placeholders()) {
                if (name.startsWith("properties") || name.equals("body")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether anything differs from NanoMQ's request. */
    public boolean isDefault() {
        return method.equals("POST") && path == null && headers.isEmpty() && body == null;
    }

    /** Header names whose values are templates (the others are sent as configured). */
    public Set<String> templatedHeaders() {
        return headers.keySet();
    }

    /** The request of one job: {@code events} (one, or a batch in order) of endpoint {@code endpoint}. */
    public Rendered render(final List<? extends WebhookEvent> events, final String endpoint, final EventBodies bodies,
                           final boolean batch) {
        final Placeholders.Values first = Placeholders.of(events.get(0), endpoint, bodies);
        final @Nullable String renderedPath = path == null ? null : path.render(first);
        final List<String[]> renderedHeaders = new ArrayList<>(headers.size());
        headers.forEach((name, value) -> renderedHeaders.add(new String[]{name, value.render(first)}));
        return new Rendered(method, renderedPath, renderedHeaders, body(events, endpoint, bodies, batch));
    }

    private byte[] body(final List<? extends WebhookEvent> events, final String endpoint, final EventBodies bodies,
                        final boolean batch) {
        if (body == null) {
            return batch ? bodies.batch(events) : bodies.single(events.get(0));
        }
        if (!batch) {
            return body.renderBytes(Placeholders.of(events.get(0), endpoint, bodies));
        }
        final ByteArrayOutputStream out = new ByteArrayOutputStream(256 * events.size());
        out.write('[');
        for (int i = 0; i < events.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            final byte[] one = body.renderBytes(Placeholders.of(events.get(i), endpoint, bodies));
            out.write(one, 0, one.length);
        }
        out.write(']');
        return out.toByteArray();
    }

    /** How it was compiled, for the check command; empty lines when the request is NanoMQ's. */
    public List<String> describe() {
        final List<String> lines = new ArrayList<>();
        if (!method.equals("POST")) {
            lines.add("method " + method);
        }
        if (path != null) {
            lines.add("path   " + path.describe());
        }
        headers.forEach((name, value) -> lines.add("header " + name + ": " + value.describe()));
        if (body != null) {
            lines.add("body   " + body.describe());
        }
        return lines;
    }

    /** One request ready to send: method, the path to append (or null), templated headers and the body. */
    public static final class Rendered {
        public final String method;
        public final @Nullable String path;
        public final List<String[]> headers;
        public final byte[] body;

        Rendered(final String method, final @Nullable String path, final List<String[]> headers, final byte[] body) {
            this.method = method;
            this.path = path;
            this.headers = headers;
            this.body = body;
        }

        @Override
        public String toString() {
            return method + " " + (path == null ? "" : path) + " " + new String(body, StandardCharsets.UTF_8);
        }
    }
}
