package io.mqttwebhook.request;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * A text with {@code ${name}} placeholders, parsed and checked once when the configuration is loaded, then
 * rendered for each request without parsing again. How a value is written depends on where the template is
 * used ({@link Kind}): in a JSON body, as a correctly escaped JSON value (or, inside a JSON string, as
 * escaped text); in a path, URL-encoded; in a header, as text without line breaks. {@code $${} writes a
 * literal {@code ${}.
 */
public final class Template {

    /** Where a template is used, which decides how its values are written. */
    public enum Kind {
        /** A JSON body: {@code ${x}} is a JSON value; inside a JSON string, escaped text. */
        JSON,
        /** The path appended to the url: values percent-encoded (a topic's {@code /} included). */
        PATH,
        /** A header value: values as text, line breaks and other control characters replaced by spaces. */
        HEADER
    }

    private static final JsonFactory JSON = new JsonFactory();

    private final String source;
    private final Kind kind;
    private final List<Part> parts;

    private Template(final String source, final Kind kind, final List<Part> parts) {
        this.source = source;
        this.kind = kind;
        this.parts = Collections.unmodifiableList(parts);
    }

    /** One piece of a template: literal text, or a placeholder and whether it sits inside a JSON string. */
    static final class Part {
        final @Nullable String literal;
        final @Nullable String placeholder;
        final boolean inString;

        private Part(final @Nullable String literal, final @Nullable String placeholder, final boolean inString) {
            this.literal = literal;
            this.placeholder = placeholder;
            this.inString = inString;
        }
    }

    /** A template that cannot be used: the message says where and why. */
    public static final class TemplateException extends Exception {
        private static final long serialVersionUID = 1L;

        private final String reason;

        TemplateException(final String message) {
            super(message);
            this.reason = message;
        }

        @Override
        public String getMessage() {
            return reason;
        }
    }

    /**
     * Parses {@code source}; every placeholder must be one of {@code known} (see {@link Placeholders}), and a
     * JSON template must be valid JSON once its placeholders are filled.
     */
    public static Template parse(final String source, final Kind kind, final Set<String> known) throws TemplateException {
        final List<Part> parts = new ArrayList<>();
        final StringBuilder literal = new StringBuilder();
        boolean inString = false;
        boolean escaped = false;
        int i = 0;
        while (i < source.length()) {
            final char c = source.charAt(i);
            if (source.startsWith("$${", i)) {
                literal.append("${");
                i += 3;
                continue;
            }
            if (source.startsWith("${", i)) {
                final int end = source.indexOf('}', i + 2);
                if (end < 0) {
                    throw new TemplateException("\"${\" at character " + (i + 1) + " has no closing \"}\"");
                }
                final String name = source.substring(i + 2, end).trim();
                if (!Placeholders.isKnown(name, known)) {
                    throw new TemplateException("${" + name + "} is not a placeholder of these events; known: "
                            + String.join(", ", Placeholders.listed(known)));
                }
                if (literal.length() > 0) {
                    parts.add(new Part(literal.toString(), null, false));
                    literal.setLength(0);
                }
                parts.add(new Part(null, name, inString));
                i = end + 1;
                continue;
            }
            if (kind == Kind.JSON) {
                if (inString && escaped) {
                    escaped = false;
                } else if (inString && c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    inString = !inString;
                }
            }
            literal.append(c);
            i++;
        }
        if (literal.length() > 0) {
            parts.add(new Part(literal.toString(), null, false));
        }
        final Template template = new Template(source, kind, parts);
        if (kind == Kind.JSON) {
            template.checkJson();
        }
        return template;
    }

    /** Fills every placeholder with a stand-in and parses the result: one JSON value, nothing after it. */
    private void checkJson() throws TemplateException {
        final StringBuilder sample = new StringBuilder();
        for (final Part part : parts) {
            sample.append(part.literal != null ? part.literal : part.inString ? "x" : "0");
        }
        try (JsonParser parser = JSON.createParser(sample.toString())) {
            if (parser.nextToken() == null) {
                throw new TemplateException("is empty; a body template is one JSON value");
            }
            parser.skipChildren();
            if (parser.nextToken() != null) {
                throw new TemplateException("has more than one JSON value");
            }
        } catch (final IOException e) {
            throw new TemplateException("is not valid JSON once its placeholders are filled: "
                    + String.valueOf(e.getMessage()).split("\n")[0]);
        }
    }

    public boolean isConstant() {
        for (final Part part : parts) {
            if (part.placeholder != null) {
                return false;
            }
        }
        return true;
    }

    public String source() {
        return source;
    }

    public Kind kind() {
        return kind;
    }

    /** The placeholders, in order. */
    public List<String> placeholders() {
        final List<String> names = new ArrayList<>();
        for (final Part part : parts) {
            if (part.placeholder != null) {
                names.add(part.placeholder);
            }
        }
        return names;
    }

    /** How it was compiled, for the check command: literal pieces and typed placeholders. */
    public String describe() {
        final StringBuilder out = new StringBuilder();
        for (final Part part : parts) {
            if (part.literal != null) {
                out.append('«').append(part.literal).append('»');
            } else {
                out.append(" ${").append(part.placeholder).append(kind == Kind.JSON
                        ? (part.inString ? " as escaped text" : " as a JSON value")
                        : kind == Kind.PATH ? " URL-encoded" : " as text").append("} ");
            }
        }
        return out.toString().trim();
    }

    /** Renders for one event; {@code values} gives each placeholder's value. */
    public String render(final Placeholders.Values values) {
        final StringBuilder out = new StringBuilder(source.length() + 64);
        for (final Part part : parts) {
            if (part.placeholder != null) {
                write(out, values.value(part.placeholder), part.inString);
            } else {
                out.append(part.literal);
            }
        }
        return out.toString();
    }

    /** Renders a JSON template into UTF-8 bytes. */
    public byte[] renderBytes(final Placeholders.Values values) {
        return render(values).getBytes(StandardCharsets.UTF_8);
    }

    private void write(final StringBuilder out, final Placeholders.Value value, final boolean inString) {
        switch (kind) {
            case JSON:
                if (inString) {
                    out.append(JsonStringEncoder.getInstance().quoteAsString(value.text()));
                } else {
                    value.appendJson(out);
                }
                break;
            case PATH:
                out.append(Placeholders.urlEncode(value.text()));
                break;
            default:
                final String text = value.text();
                for (int i = 0; i < text.length(); i++) {
                    final char c = text.charAt(i);
                    out.append(Character.isISOControl(c) ? ' ' : c);
                }
                break;
        }
    }

    @Override
    public String toString() {
        return source;
    }

    /** Whether a JSON value starts here: used by the JSON check of payloads. */
    static boolean isJson(final byte[] bytes) {
        if (bytes.length == 0) {
            return false;
        }
        try (JsonParser parser = JSON.createParser(bytes)) {
            final JsonToken first = parser.nextToken();
            if (first == null) {
                return false;
            }
            parser.skipChildren();
            return parser.nextToken() == null;
        } catch (final IOException e) {
            return false;
        }
    }
}
