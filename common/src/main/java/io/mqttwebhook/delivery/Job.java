package io.mqttwebhook.delivery;

import io.mqttwebhook.event.WebhookEvent;
import io.mqttwebhook.request.RequestTemplate;
import org.jspecify.annotations.Nullable;

import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The events of one request, from its first attempt to its end: delivered, refused, or given up. Its
 * {@code webhook-id} is the same on every attempt. Only one thread works on a job at a time (the one that
 * started its attempt, then the one its outcome arrives on), except {@link #settle}, which decides its end
 * exactly once, and the cancel sweep, which reads the volatile request fields.
 */
final class Job {

    final List<WebhookEvent> events;
    final String id;
    private final AtomicBoolean settled = new AtomicBoolean();
    /** The request as {@link #renderedFor} renders it; rendered again when a reload changed the route. */
    RequestTemplate.@Nullable Rendered rendered;
    @Nullable Route renderedFor;
    /** Attempts that count against {@code retry.max_attempts}: those the endpoint could have answered. */
    int countedAttempts;
    /** Every attempt made. */
    int attempts;
    long firstAttemptMillis;
    long lastAttemptMillis;
    long attemptStartNanos;
    /** The endpoint's answer count when this attempt started, and when the previous one did. */
    long answersAtStart;
    long answersAtPreviousStart;
    /** This attempt is the one probe of an endpoint that is down. */
    boolean probe;
    /** Holds no slot of the pool: the probe taken from the queue while every slot was parked, and its sequels. */
    boolean borrowed;
    /** The route of the attempt under way, for its in-flight count. */
    @Nullable Route attemptRoute;
    @Nullable Outcome last;
    /** When the attempt under way passes cancel_timeout; MAX_VALUE while none is. */
    volatile long deadlineNanos = Long.MAX_VALUE;
    volatile @Nullable Future<?> request;

    Job(final List<WebhookEvent> events, final String id) {
        this.events = events;
        this.id = id;
    }

    /** True for the one caller that decides this job's outcome. */
    boolean settle() {
        return settled.compareAndSet(false, true);
    }

    boolean settled() {
        return settled.get();
    }

    /** When the oldest event of this job happened (epoch ms), for the delivery latency. */
    long oldestEventMillis() {
        long oldest = Long.MAX_VALUE;
        for (final WebhookEvent event : events) {
            oldest = Math.min(oldest, event.createdMillis());
        }
        return oldest;
    }

    @Override
    public String toString() {
        return "id=" + id + " events=" + events.size() + " attempts=" + attempts;
    }
}
