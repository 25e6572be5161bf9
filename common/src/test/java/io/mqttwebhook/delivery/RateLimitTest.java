package io.mqttwebhook.delivery;

import io.mqttwebhook.Webhook;
import io.mqttwebhook.config.EndpointConfig;
import io.mqttwebhook.config.RateLimit;
import io.mqttwebhook.config.WebhookConfig;
import io.mqttwebhook.event.EventType;
import io.mqttwebhook.event.PublishEvent;
import io.mqttwebhook.metrics.EndpointMetrics;
import io.mqttwebhook.rule.Rule;
import io.mqttwebhook.testing.TestReceiver;
import io.mqttwebhook.testing.TestReceiver.Reply;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code rate_limit}: a burst far beyond the rate waits in the queue and reaches the endpoint at the configured
 * rate, nothing lost, without a thread spinning while it waits for tokens.
 */
class RateLimitTest {

    private static final Pattern PAYLOAD = Pattern.compile("\"payload\":\"([^\"]*)\"");

    private static EndpointConfig.Builder config(final TestReceiver receiver) {
        return EndpointConfig.builder(URI.create(receiver.url("/"))).rule(new Rule(EventType.MESSAGE_PUBLISH, null));
    }

    private static Webhook start(final EndpointConfig.Builder endpoint) {
        return Webhook.start(WebhookConfig.builder().endpoint(endpoint.build()).drainTimeout(Duration.ofSeconds(1)).build());
    }

    private static PublishEvent event(final int n) {
        return new PublishEvent("c" + n % 7, "u", "t", 1, false, Integer.toString(n).getBytes(StandardCharsets.UTF_8), n);
    }

    /** Records each request's events by payload; returns nothing but 200. */
    private static void recording(final TestReceiver receiver, final Set<String> payloads) {
        receiver.replyWith(r -> {
            final Matcher m = PAYLOAD.matcher(r.body());
            while (m.find()) {
                payloads.add(m.group(1));
            }
            return Reply.status(200);
        });
    }

    private static int events(final TestReceiver.Request request) {
        final Matcher m = PAYLOAD.matcher(request.body());
        int count = 0;
        while (m.find()) {
            count++;
        }
        return count;
    }

    /** The most events received within any window of {@code millis} starting at a request. */
    private static int busiestWindow(final List<TestReceiver.Request> requests, final long millis) {
        int busiest = 0;
        for (int i = 0; i < requests.size(); i++) {
            final long start = requests.get(i).receivedMillis;
            int sum = 0;
            for (int j = i; j < requests.size() && requests.get(j).receivedMillis < start + millis; j++) {
                sum += events(requests.get(j));
            }
            busiest = Math.max(busiest, sum);
        }
        return busiest;
    }

    /**
     * Sends {@code n} events and waits for them: the receiver's first requests (threads, connections, JIT) are
     * late by more than the spacing measured afterwards.
     */
    private static void warmUp(final Webhook webhook, final TestReceiver receiver, final int n) {
        for (int i = 0; i < n; i++) {
            webhook.publish(event(-1 - i));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> webhook.metrics().deliveredCount() == n);
        receiver.clear();
    }

    private static long cpuNanosOfThread(final String name) {
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (final Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().equals(name)) {
                return threads.getThreadCpuTime(thread.getId());
            }
        }
        throw new AssertionError("no thread " + name);
    }

    @Test
    void aBurstOf10000EventsIsHeldToTheConfiguredRateWithNothingLost() throws Exception {
        final Set<String> payloads = ConcurrentHashMap.newKeySet();
        try (TestReceiver receiver = TestReceiver.start()) {
            recording(receiver, payloads);
            final RateLimit limit = RateLimit.of(RateLimit.Unit.EVENTS, 2000);
            assertThat(limit.burst()).isEqualTo(200);
            try (Webhook webhook = start(config(receiver).rateLimit(limit).batchMaxEvents(20)
                    .batchMaxDelay(Duration.ofMillis(5)).poolSize(8))) {
                final EndpointMetrics m = webhook.metrics().endpoints().get(0);
                warmUp(webhook, receiver, 400);
                payloads.clear();
                final long dispatcherCpuBefore = cpuNanosOfThread("mqtt-webhook-dispatcher-default");
                final long start = System.nanoTime();
                for (int i = 0; i < 10_000; i++) {
                    webhook.publish(event(i));
                }
                // the burst waits in the queue, not in the publisher
                assertThat(m.queued()).isGreaterThan(5000);
                await().atMost(Duration.ofSeconds(30)).until(() -> m.deliveredCount() == 10_400);
                final long elapsedNanos = System.nanoTime() - start;
                final long dispatcherCpu = cpuNanosOfThread("mqtt-webhook-dispatcher-default") - dispatcherCpuBefore;

                assertThat(payloads).hasSize(10_000);
                assertThat(m.droppedTotal() + m.failedCount()).isZero();
                final List<TestReceiver.Request> requests = receiver.requests();
                final long spanMillis = requests.get(requests.size() - 1).receivedMillis - requests.get(0).receivedMillis;
                // 10 000 events at 2000/s after a first burst of 200: at least 4.9 s
                assertThat(spanMillis).isGreaterThanOrEqualTo(4700);
                // in any second, the rate plus the burst; plus what pool_size requests of 20 can bunch up at a
                // receiver that reads them late (without the limit, the 10 000 arrive within a second or two)
                assertThat(busiestWindow(requests, 1000)).isLessThanOrEqualTo(2000 + 200 + 8 * 20);
                // waiting for tokens is waiting, not spinning: the dispatcher used a fraction of one core
                assertThat(dispatcherCpu).as("dispatcher CPU ns over %d ns", elapsedNanos).isLessThan(elapsedNanos / 4);
            }
        }
    }

    @Test
    void requestsPerSecondCountsRequestsAndAReloadLiftsTheLimit() throws Exception {
        final Set<String> payloads = ConcurrentHashMap.newKeySet();
        try (TestReceiver receiver = TestReceiver.start()) {
            recording(receiver, payloads);
            final EndpointConfig.Builder limited = config(receiver).batchMaxEvents(3).batchMaxDelay(Duration.ofMillis(50))
                    .rateLimit(RateLimit.of(RateLimit.Unit.REQUESTS, 10, 1));
            try (Webhook webhook = start(limited)) {
                final EndpointMetrics m = webhook.metrics().endpoints().get(0);
                warmUp(webhook, receiver, 6);
                payloads.clear();
                for (int i = 0; i < 30; i++) {
                    webhook.publish(event(i));
                }
                await().atMost(Duration.ofSeconds(10)).until(() -> m.deliveredCount() == 36);
                final List<TestReceiver.Request> requests = receiver.requests();
                assertThat(requests).hasSize(10).allSatisfy(r -> assertThat(events(r)).isEqualTo(3));
                // 10 requests per second, burst 1: k requests later is k * 100 ms later, give or take how late the
                // receiver reads each (40 ms either way)
                for (int i = 0; i < requests.size(); i++) {
                    for (int j = i + 1; j < requests.size(); j++) {
                        assertThat(requests.get(j).receivedMillis - requests.get(i).receivedMillis)
                                .as("request %d to %d", i, j).isGreaterThanOrEqualTo((j - i) * 100L - 80);
                    }
                }

                // 1 request per second, then a reload without the limit: the rest goes at once
                receiver.clear();
                webhook.reconfigure(WebhookConfig.builder().endpoint(limited.rateLimit(RateLimit.of(RateLimit.Unit.REQUESTS, 1, 1))
                        .build()).drainTimeout(Duration.ofSeconds(1)).build());
                for (int i = 30; i < 90; i++) {
                    webhook.publish(event(i));
                }
                await().atMost(Duration.ofSeconds(5)).until(() -> receiver.count() >= 1);
                webhook.reconfigure(WebhookConfig.builder().endpoint(limited.rateLimit(null).build())
                        .drainTimeout(Duration.ofSeconds(1)).build());
                await().atMost(Duration.ofSeconds(3)).until(() -> m.deliveredCount() == 96);
                assertThat(payloads).hasSize(90);
            }
        }
    }
}
