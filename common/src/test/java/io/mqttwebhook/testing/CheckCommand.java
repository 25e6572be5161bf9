package io.mqttwebhook.testing;

import io.mqttwebhook.config.ConfigCheck;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** The check jar's command line ({@code check}, {@code queue}, {@code replay}) run in the test's JVM. */
public final class CheckCommand {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    /** Runs {@code java -jar mqtt-webhook-check.jar <args>}; returns its exit status, output kept until the next run. */
    public int run(final String... args) {
        out.reset();
        err.reset();
        return ConfigCheck.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    /** Runs the subcommand {@code command} with {@code args}. */
    public int subcommand(final String command, final String... args) {
        final String[] all = new String[args.length + 1];
        all[0] = command;
        System.arraycopy(args, 0, all, 1, args.length);
        return run(all);
    }

    /** What the last run wrote to standard output. */
    public String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    /** What the last run wrote to standard error. */
    public String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /** Both, output first. */
    public String printed() {
        return out() + err();
    }
}
