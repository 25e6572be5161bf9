package io.mqttwebhook.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;

/** Open TCP connections of this JVM, read from Linux's {@code /proc/self/net/tcp{,6}}. */
public final class Sockets {

    private static final String ESTABLISHED = "01";

    private Sockets() {
    }

    /** Established connections from this process to {@code port} (the client side; the server's are not counted). */
    public static int establishedTo(final int port) {
        int count = 0;
        for (final String table : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
            final Path path = Paths.get(table);
            if (!Files.exists(path)) {
                continue;
            }
            final List<String> lines;
            try {
                lines = Files.readAllLines(path);
            } catch (final IOException e) {
                throw new IllegalStateException("cannot read " + table, e);
            }
            for (final String line : lines.subList(1, lines.size())) {
                final String[] fields = line.trim().split("\\s+");
                final String remote = fields[2];
                final int remotePort = Integer.parseInt(remote.substring(remote.indexOf(':') + 1), 16);
                if (remotePort == port && fields[3].equals(ESTABLISHED)) {
                    count++;
                }
            }
        }
        return count;
    }
}
