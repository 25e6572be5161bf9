package io.mqttwebhook.config;

import io.mqttwebhook.testing.CheckCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class ConfigCheckTest {

    private final CheckCommand command = new CheckCommand();

    private int check(final Path file) {
        return command.run(file.toString());
    }

    @Test
    void printsWhatWouldBeLoaded(@TempDir final Path dir) throws IOException {
        final Path file = dir.resolve("webhook.conf");
        Files.writeString(file, "webhook {\n url = \"http://u:secret@127.0.0.1:8080/hook\"\n"
                + " headers.authorization = \"Bearer token123\"\n"
                + " events = [ { event = on_message_publish, topic = \"a/#\" }, { event = on_client_connack } ]\n}\n");
        assertThat(check(file)).isEqualTo(ConfigCheck.OK);
        final String printed = command.out();
        assertThat(printed).contains("OK, the webhook would be on", "url:        http://***@127.0.0.1:8080/hook",
                "on_message_publish  topic a/#", "on_client_connack", "queue:      memory, capacity 100000",
                "retry:      10 attempt(s)", "headers:    authorization",
                "client:     nio, up to 32 connection(s), up to 8 pipelined request(s) per connection while the"
                        + " endpoint answers within 2 ms");
        assertThat(printed).doesNotContain("secret").doesNotContain("token123");
    }

    @Test
    void printsEveryErrorAndFails(@TempDir final Path dir) throws IOException {
        final Path file = dir.resolve("bad.conf");
        Files.writeString(file, "webhook {\n pool_size = 0\n body.encoding = hex\n}\n");
        assertThat(check(file)).isEqualTo(ConfigCheck.ERRORS);
        final String printed = command.err();
        assertThat(printed).contains("3 error(s)", "webhook.url", "webhook.pool_size at " + file + ":2",
                "webhook.body.encoding at " + file + ":3: \"hex\" is not one of plain, base64, base62");
    }

    @Test
    void reportsAFileWithoutWebhookBlock(@TempDir final Path dir) throws IOException {
        final Path file = dir.resolve("nanomq.conf");
        Files.writeString(file, "mqtt { max_packet_size = 1MB }\n");
        assertThat(check(file)).isEqualTo(ConfigCheck.OFF);
        assertThat(command.out()).contains("the webhook would be off", "has no webhook block");
    }

    @Test
    void usageWithoutArguments() {
        assertThat(command.run()).isEqualTo(ConfigCheck.USAGE);
        assertThat(command.err()).contains("usage:");
    }
}
