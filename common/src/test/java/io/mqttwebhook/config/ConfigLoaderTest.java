package io.mqttwebhook.config;

import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PayloadEncoding;
import io.mqttwebhook.rule.Rule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {

    /** Real NanoMQ configuration files (NanoMQ's own examples, MIT), kept with the tests so every clone reads them. */
    private static final Path FIXTURES = Paths.get("src", "test", "resources", "nanomq-conf");

    private static WebhookConfig webhook(final String text) {
        return ConfigLoader.parse(text, "webhook.conf").config().orElseThrow();
    }

    /** The endpoint of NanoMQ's block itself. */
    private static EndpointConfig load(final String text) {
        final WebhookConfig webhook = webhook(text);
        assertThat(webhook.endpoints()).hasSize(1);
        return webhook.endpoints().get(0);
    }

    private static String error(final String text) {
        try {
            ConfigLoader.parse(text, "nanomq.conf");
        } catch (final ConfigException e) {
            return e.getMessage();
        }
        throw new AssertionError("no ConfigException for:\n" + text);
    }

    @Test
    void nanoMqExampleFileLoads() {
        final Path file = FIXTURES.resolve("nanomq_example.conf");
        final LoadResult result = ConfigLoader.load(file);
        final EndpointConfig config = result.config().orElseThrow().endpoints().get(0);
        assertThat(config.name()).isEqualTo("default");
        assertThat(config.url().toString()).isEqualTo("http://127.0.0.1:80");
        assertThat(config.headers()).containsEntry("content-type", "application/json");
        assertThat(config.encoding()).isEqualTo(PayloadEncoding.PLAIN);
        assertThat(config.poolSize()).isEqualTo(32);
        assertThat(config.rules()).containsExactly(new Rule(EventType.MESSAGE_PUBLISH, "a/b/c"),
                new Rule(EventType.CLIENT_CONNACK, null));
        assertThat(result.warnings()).isEmpty();
    }

    @Test
    void nanoMqConfWithoutWebhookBlockTurnsTheWebhookOff() {
        final Path file = FIXTURES.resolve("nanomq.conf");
        final LoadResult result = ConfigLoader.load(file);
        assertThat(result.config()).isEmpty();
        assertThat(result.disabledReason()).contains("has no webhook block");
    }

    @Test
    void oldFlatFormatFileLoadsAndHonoursEnableFalse() {
        final Path file = FIXTURES.resolve("nanomq_old.conf");
        final LoadResult result = ConfigLoader.load(file);
        assertThat(result.config()).isEmpty();
        assertThat(result.disabledReason()).contains("enable = false");
    }

    @Test
    void oldFlatFormatWithRules(@TempDir final Path dir) throws IOException {
        final Path file = dir.resolve("nanomq_old.conf");
        Files.writeString(file, String.join("\n",
                "## comment",
                "mqtt.max_packet_size=10000",
                "web.hook.enable=true",
                "web.hook.url=http://127.0.0.1:8080/hook?x=1",
                "web.hook.headers.content-type=application/json",
                "web.hook.headers.x.api.key=123",
                "web.hook.body.encoding_of_payload_field=base62",
                "web.hook.pool_size=8",
                "web.hook.cancel_timeout=2000",
                "web.hook.rule.client.connack.1={\"action\": \"on_client_connack\"}",
                "web.hook.rule.message.publish.1={\"action\": \"on_message_publish\", \"topic\": \"a/#\"}",
                "web.hook.rule.message.publish.2={\"action\": \"on_message_publish\", \"topic\": \"b/+\"}",
                "#web.hook.rule.client.disconnected.1={\"action\": \"on_client_disconnected\"}",
                ""));
        final EndpointConfig config = ConfigLoader.load(file).config().orElseThrow().endpoints().get(0);
        assertThat(config.url().toString()).isEqualTo("http://127.0.0.1:8080/hook?x=1");
        assertThat(config.headers()).containsEntry("content-type", "application/json").containsEntry("x.api.key", "123");
        assertThat(config.encoding()).isEqualTo(PayloadEncoding.BASE62);
        assertThat(config.poolSize()).isEqualTo(8);
        assertThat(config.cancelTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.rules()).containsExactly(new Rule(EventType.CLIENT_CONNACK, null),
                new Rule(EventType.MESSAGE_PUBLISH, "a/#"), new Rule(EventType.MESSAGE_PUBLISH, "b/+"));
    }

    @Test
    void oldFormatErrorsNameTheLineOfTheFile() {
        final String message = error("# one\n# two\nweb.hook.url=http://h/\nweb.hook.pool_size=0\n");
        assertThat(message).isEqualTo("webhook.pool_size at nanomq.conf:4: \"0\" must be a whole number greater than 0");
    }

    @Test
    void everyKeyWithItsDefault() {
        final EndpointConfig config = load("webhook { url = \"http://127.0.0.1:9/x\" }");
        assertThat(config.encoding()).isEqualTo(PayloadEncoding.PLAIN);
        assertThat(config.poolSize()).isEqualTo(32);
        assertThat(config.httpClient()).isEqualTo(HttpClientKind.NIO);
        assertThat(config.pipelining()).isEqualTo(EndpointConfig.DEFAULT_PIPELINING);
        assertThat(config.cancelTimeout()).isEqualTo(Duration.ofMillis(5000));
        assertThat(config.queueCapacity()).isEqualTo(100_000);
        assertThat(config.queueOverflow()).isEqualTo(QueueOverflow.DROP_OLDEST);
        assertThat(config.queueType()).isEqualTo(QueueType.MEMORY);
        assertThat(config.maxAttempts()).isEqualTo(10);
        assertThat(config.initialBackoff()).isEqualTo(Duration.ofMillis(200));
        assertThat(config.maxBackoff()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.ordering()).isEqualTo(Ordering.NONE);
        assertThat(config.batchMaxEvents()).isEqualTo(1);
        assertThat(config.batchMaxDelay()).isEqualTo(Duration.ofMillis(10));
        assertThat(config.signingSecret()).isNull();
        assertThat(config.circuitThreshold()).isEqualTo(5);
        assertThat(webhook("webhook { url = \"http://127.0.0.1:9/x\" }").drainTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(config.tls()).isNull();
        assertThat(config.rules()).isEmpty();
    }

    @Test
    void everyKeySet() {
        final WebhookConfig webhook = webhook(String.join("\n",
                "webhook {",
                "  url = \"https://user:pw@example.invalid:8443/hook\"",
                "  headers { authorization = \"Bearer x\", x-num = 42, x-flag = true }",
                "  body.encoding = BASE64",
                "  pool_size = 4",
                "  pipelining = 3",
                "  http.client = NIO",
                "  cancel_time = \"3s\"",
                "  queue { capacity = 10, overflow = drop_newest, type = memory }",
                "  retry { max_attempts = 3, initial_backoff = 50ms, max_backoff = 1s }",
                "  circuit.failure_threshold = 2",
                "  ordering = per_client",
                "  batch { max_events = 100, max_delay = 20ms }",
                "  signing.secret = \"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\"",
                "  shutdown.drain_timeout = 2s",
                "  events = [ { event = \"ON_MESSAGE_PUBLISH\", topic = \"$share/g/a/#\" }, { event = on_client_connack } ]",
                "}"));
        final EndpointConfig config = webhook.endpoints().get(0);
        assertThat(config.urlForLog()).isEqualTo("https://***@example.invalid:8443/hook");
        assertThat(config.headers()).containsExactly(
                java.util.Map.entry("authorization", "Bearer x"), java.util.Map.entry("x-flag", "true"),
                java.util.Map.entry("x-num", "42"));
        assertThat(config.encoding()).isEqualTo(PayloadEncoding.BASE64);
        assertThat(config.poolSize()).isEqualTo(4);
        assertThat(config.pipelining()).isEqualTo(3);
        assertThat(config.httpClient()).isEqualTo(HttpClientKind.NIO);
        assertThat(config.cancelTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.queueCapacity()).isEqualTo(10);
        assertThat(config.queueOverflow()).isEqualTo(QueueOverflow.DROP_NEWEST);
        assertThat(config.maxAttempts()).isEqualTo(3);
        assertThat(config.initialBackoff()).isEqualTo(Duration.ofMillis(50));
        assertThat(config.maxBackoff()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.ordering()).isEqualTo(Ordering.PER_CLIENT);
        assertThat(config.batchMaxEvents()).isEqualTo(100);
        assertThat(config.batchMaxDelay()).isEqualTo(Duration.ofMillis(20));
        assertThat(config.signingSecret()).hasSize(24);
        assertThat(config.circuitThreshold()).isEqualTo(2);
        assertThat(webhook.drainTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(config.rules()).containsExactly(new Rule(EventType.MESSAGE_PUBLISH, "$share/g/a/#"),
                new Rule(EventType.CLIENT_CONNACK, null));
        assertThat(config.summary()).doesNotContain("pw").doesNotContain("Bearer").doesNotContain("whsec");
    }

    @Test
    void seedSyntaxOutsideTheBlockIsTheSamePath() {
        final WebhookConfig config = webhook("webhook.url = \"http://h/\"\nwebhook.events = [\n"
                + " { event = \"on_message_publish\"\n topic = \"a/b/c\" }\n { event = \"on_message_publish\"\n topic = \"foo/#\" }\n]\n");
        assertThat(config.endpoints().get(0).rules()).hasSize(2);
        assertThat(config.router().match(EventType.MESSAGE_PUBLISH, "foo")).isEqualTo(1);
    }

    @Test
    void enableFalseTurnsTheWebhookOff() {
        assertThat(ConfigLoader.parse("webhook { enable = false, url = \"http://h/\" }", "x").config()).isEmpty();
    }

    @Test
    void errorMessagesNameFileLineKeyValueAndWhatIsAllowed() {
        assertThat(error("webhook {\n url = \"http://h/\"\n body.encoding = hex\n}"))
                .isEqualTo("webhook.body.encoding at nanomq.conf:3: \"hex\" is not one of plain, base64, base62");
        assertThat(error("webhook { pool_size = 4 }")).contains("webhook.url in nanomq.conf: missing");
        assertThat(error("webhook { url = \"ftp://h/\" }"))
                .isEqualTo("webhook.url at nanomq.conf:1: \"ftp://h/\" must start with http:// or https://");
        assertThat(error("webhook { url = http://127.0.0.1:80 }")).contains("quote the URL");
        assertThat(error("webhook {\n url = http://127.0.0.1:80\n}")).contains("nanomq.conf: 2:")
                .contains("quote the URL");
        assertThat(error("webhook {\n url = \"http://h/\"\n events = [ { event = on_client_eat } ]\n}"))
                .startsWith("webhook.events[0].event at nanomq.conf:3: \"on_client_eat\" is not one of on_client_connect,");
        assertThat(error("webhook { url = \"http://h/\", events = [ { event = on_message_publish, topic = \"a/#/b\" } ] }"))
                .contains("webhook.events[0].topic at nanomq.conf:1: \"a/#/b\" is not a valid topic filter");
        assertThat(error("webhook { url = \"http://h/\", events = [ { event = on_message_publish, topic = \"a+\" } ] }"))
                .contains("\"a+\" is not a valid topic filter: '+' must occupy a whole level");
        assertThat(error("webhook { url = \"http://h/\", pool_size = -1 }"))
                .contains("webhook.pool_size at nanomq.conf:1: -1 must be a whole number greater than 0");
        assertThat(error("webhook { url = \"http://h/\", pipelining = 0 }"))
                .contains("webhook.pipelining at nanomq.conf:1: 0 must be a whole number greater than 0");
        assertThat(error("webhook { url = \"http://h/\", http.client = jdk }"))
                .isEqualTo("webhook.http.client at nanomq.conf:1: \"jdk\" is not one of nio, apache");
        assertThat(error("webhook { url = \"http://h/\", cancel_timeout = soon }"))
                .contains("webhook.cancel_timeout at nanomq.conf:1: \"soon\" is not a duration");
        assertThat(error("webhook { url = \"http://h/\", queue.overflow = block }"))
                .contains("\"block\" is not one of drop_oldest, drop_newest");
        assertThat(error("webhook { url = \"http://h/\", queue.type = disk }")).contains("webhook.queue.type");
        assertThat(error("webhook { url = \"http://h/\", ordering = strict }")).contains("is not one of none, per_client");
        assertThat(error("webhook { url = \"http://h/\", signing.secret = \"abc\" }"))
                .contains("webhook.signing.secret").contains("whsec_").doesNotContain("abc");
        assertThat(error("webhook { url = \"http://h/\", retry { initial_backoff = 5s, max_backoff = 1s } }"))
                .contains("must not be below retry.initial_backoff");
        assertThat(error("webhook { url = \"http://h/\", headers { \"bad name\" = 1 } }")).contains("not a valid HTTP header name");
        assertThat(error("webhook = 5")).contains("must be a block");
        assertThat(error("webhook { url = ")).contains("not a valid NanoMQ configuration file");
    }

    @Test
    void everyErrorIsReportedAtOnce() {
        try {
            ConfigLoader.parse("webhook {\n pool_size = 0\n body.encoding = hex\n}", "f.conf");
            throw new AssertionError("no error");
        } catch (final ConfigException e) {
            assertThat(e.problems()).hasSize(3);
        }
    }

    @Test
    void unreadableCertificateFilesAreErrors(@TempDir final Path dir) {
        assertThat(error("webhook { url = \"https://h/\", ssl { cacertfile = \"" + dir.resolve("missing.pem") + "\" } }"))
                .contains("webhook.ssl.cacertfile at nanomq.conf:1: cannot read");
        assertThat(error("webhook { url = \"https://h/\", ssl { certfile = \"" + dir.resolve("c.pem") + "\" } }"))
                .contains("needs both certfile and keyfile");
    }

    @Test
    void unknownKeysAndIgnoredTopicsAreWarningsByName() {
        final LoadResult result = ConfigLoader.parse("webhook {\n url = \"http://h/\"\n pool_sise = 3\n"
                + " events = [ { event = on_client_connack, topic = \"a\" } ]\n}", "w.conf");
        assertThat(result.config()).isPresent();
        assertThat(result.warnings()).containsExactly(
                "webhook.pool_sise at w.conf:3: unknown key, ignored",
                "webhook.events[0].topic at w.conf:4: on_client_connack has no topic; the filter is ignored");
    }

    @Test
    void pipeliningWithTheApacheClientIsAWarning() {
        final LoadResult result = ConfigLoader.parse("webhook {\n url = \"http://h/\"\n http.client = apache\n"
                + " pipelining = 4\n}", "w.conf");
        assertThat(result.config().orElseThrow().endpoints().get(0).pipelining()).isEqualTo(4);
        assertThat(result.warnings()).contains("webhook.pipelining at w.conf:4: applies to http.client = nio"
                + " only; the apache client sends one request per connection at a time");
    }

    @Test
    void overriddenLocationComesFromTheSystemProperty() {
        System.setProperty(ConfigLoader.SYSTEM_PROPERTY, "/etc/nanomq.conf");
        try {
            assertThat(ConfigLoader.overriddenLocation()).contains(Paths.get("/etc/nanomq.conf"));
        } finally {
            System.clearProperty(ConfigLoader.SYSTEM_PROPERTY);
        }
    }

    @Test
    void missingFileIsAClearError(@TempDir final Path dir) {
        assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.conf")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("cannot read the configuration file");
    }

    @Test
    void namedEndpointsBesideNanoMqsBlock() {
        final WebhookConfig config = webhook("webhook {\n  url = \"http://h/d\"\n  events = [ { event = on_message_publish } ]\n"
                + "  endpoints {\n    zeta { url = \"http://z/\", events = [ { event = on_client_connack } ], pool_size = 2 }\n"
                + "    alpha { url = \"http://a/\", events = [ { event = on_message_publish, topic = \"x/#\" } ] }\n  }\n}");
        assertThat(config.endpoints()).extracting(EndpointConfig::name).containsExactly("default", "alpha", "zeta");
        assertThat(config.endpoint("zeta").orElseThrow().poolSize()).isEqualTo(2);
        assertThat(config.endpoint("alpha").orElseThrow().poolSize()).isEqualTo(32);
        assertThat(config.router().match(EventType.MESSAGE_PUBLISH, "x/1")).isEqualTo(0b011);
        assertThat(config.router().match(EventType.CLIENT_CONNACK, null)).isEqualTo(0b100);
    }

    @Test
    void endpointsWithoutNanoMqsBlockAndWhatTheyRefuse(@TempDir final Path dir) {
        final LoadResult only = ConfigLoader.parse("webhook {\n  pool_size = 4\n  endpoints { a { url = \"http://a/\" } }\n}",
                "e.conf");
        assertThat(only.config().orElseThrow().endpoints()).extracting(EndpointConfig::name).containsExactly("a");
        assertThat(only.warnings()).anyMatch(w -> w.startsWith("webhook.pool_size at e.conf:2: applies to no endpoint"));
        assertThat(error("webhook {\n  endpoints {\n    a { events = [] }\n  }\n}"))
                .contains("webhook.endpoints.a.url in nanomq.conf: missing");
        assertThat(error("webhook {\n  endpoints {\n    \"a b\" { url = \"http://a/\" }\n  }\n}"))
                .contains("an endpoint name is 1 to 64 letters, digits, _ or -");
        assertThat(error("webhook {\n  endpoints {\n    a-b { url = \"http://a/\" }\n    a_b { url = \"http://b/\" }\n  }\n}"))
                .contains("give the same metric names");
        final String queue = dir.resolve("q").toString();
        assertThat(error("webhook {\n  url = \"http://a/\"\n  queue { type = disk, dir = \"" + queue + "\" }\n"
                + "  endpoints { b { url = \"http://b/\", queue { type = disk, dir = \"" + queue + "\" } } }\n}"))
                .contains("is also the queue.dir of endpoint default");
        final LoadResult misplaced = ConfigLoader.parse("webhook {\n  endpoints { a { url = \"http://a/\"\n"
                + "    reload.interval = 1s\n    pool_sise = 3\n  } }\n}", "m.conf");
        assertThat(misplaced.warnings()).anyMatch(w -> w.startsWith("webhook.endpoints.a.reload.interval at m.conf:3:"
                + " applies to the whole webhook")).anyMatch(w -> w.startsWith("webhook.endpoints.a.pool_sise at m.conf:4:"
                + " unknown key"));
    }

    @Test
    void aDiskQueueFolderMustBeWritable(@TempDir final Path dir) throws IOException {
        final Path file = Files.createFile(dir.resolve("not-a-folder"));
        assertThat(error("webhook {\n  url = \"http://a/\"\n  queue { type = disk, dir = \"" + file + "\" }\n}"))
                .contains("webhook.queue.dir at nanomq.conf:3:").contains("is not a writable folder");
    }
}
