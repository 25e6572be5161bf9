package io.mqttwebhook.delivery;

import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.QueueType;
import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.rule.Rule;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Duration;

/**
 * Run in a JVM that the crash tests kill with SIGKILL: a disk-queued webhook takes {@code n} events, says
 * READY and waits to be killed. The test decides when by reading a copy of the queue file.
 * Args: queue dir, endpoint port, n.
 */
public final class DiskQueueCrashMain {

    private DiskQueueCrashMain() {
    }

    public static void main(final String[] args) throws Exception {
        final Webhook webhook = Webhook.start(WebhookConfig.of(EndpointConfig.builder(URI.create("http://127.0.0.1:" + args[1] + "/"))
                .rule(new Rule(EventType.MESSAGE_PUBLISH, null)).queueType(QueueType.DISK).queueDir(Paths.get(args[0]))
                .queueSyncInterval(Duration.ofMillis(50)).maxAttempts(1000).build()));
        final int n = Integer.parseInt(args[2]);
        for (int i = 0; i < n; i++) {
            webhook.publish(new PublishEvent("c" + (i % 3), "u", "t", 1, false,
                    Integer.toString(i).getBytes(StandardCharsets.UTF_8), i));
        }
        System.out.println("READY");
        System.out.flush();
        Thread.currentThread().join(); // until killed

    }
}
