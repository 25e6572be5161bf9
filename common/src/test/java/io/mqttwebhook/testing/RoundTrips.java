package io.mqttwebhook.testing;

import static org.assertj.core.api.Assertions.assertThat;

/** The guard both brokers' tests apply: a hanging endpoint must not slow the QoS 1 publishes of the broker. */
public final class RoundTrips {

    private RoundTrips() {
    }

    /**
     * Compares the medians of sorted QoS 1 round trips (nanoseconds) with a healthy and with a hanging
     * endpoint: the same order of magnitude; a publish path that waited for the endpoint would take seconds.
     */
    public static void assertNotSlowedByAHangingEndpoint(final String broker, final long[] healthy, final long[] hanging) {
        final long healthyMedian = healthy[healthy.length / 2];
        final long hangingMedian = hanging[hanging.length / 2];
        System.out.printf("%s QoS 1 round trip median: healthy endpoint %d us, hanging endpoint %d us%n", broker,
                healthyMedian / 1000, hangingMedian / 1000);
        assertThat(hangingMedian).isLessThan(healthyMedian * 3 + 5_000_000L);
    }
}
