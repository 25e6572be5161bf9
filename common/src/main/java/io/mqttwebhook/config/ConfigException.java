package io.mqttwebhook.config;

import java.util.List;

/**
 * The configuration cannot be used. Carries every problem found, each naming the file, line, key, the
 * value found and what is allowed, so that one run of the check command shows them all.
 */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final List<String> problems;

    public ConfigException(final List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    public ConfigException(final String problem) {
        this(List.of(problem));
    }

    public List<String> problems() {
        return problems;
    }
}
