package io.mqttwebhook.delivery;

import io.mqttwebhook.config.RateLimit;
import org.jspecify.annotations.Nullable;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The token bucket of an endpoint's {@code rate_limit}: consulted before events are taken from the queue, so
 * that what the endpoint cannot take yet waits there (never on a broker thread). The dispatcher waits for the
 * time the bucket says a token needs, never polls; the I/O thread's fast path only takes what is there. Takers
 * say afterwards how many events they found, and unused tokens go back. Without a limit it costs one
 * volatile read. A reload may change or remove the limit.
 */
public final class RateLimiter {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** Null: no limit. */
    private volatile @Nullable RateLimit limit;
    // guarded by lock
    private double tokens;
    private long refilledNanos;

    /** {@code limit} null: no limit. */
    public RateLimiter(final @Nullable RateLimit limit) {
        configure(limit);
    }

    /** A new limit (or none) from now on; a bucket that was off starts full. */
    public void configure(final @Nullable RateLimit next) {
        lock.lock();
        try {
            final RateLimit before = limit;
            if (next != null) {
                tokens = before == null ? next.burst() : Math.min(tokens, next.burst());
            }
            refilledNanos = System.nanoTime();
            limit = next;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * How many of up to {@code maxEvents} events may be taken now: waits up to {@code maxWaitNanos} (as long as
     * the bucket needs for one token, never longer) and returns 0 when nothing may be taken yet. Hand back what
     * was not used with {@link #release}.
     */
    public int acquire(final int maxEvents, final long maxWaitNanos) throws InterruptedException {
        if (limit == null) {
            return maxEvents;
        }
        final long start = System.nanoTime();
        lock.lock();
        try {
            while (true) {
                final RateLimit current = limit;
                if (current == null) {
                    return maxEvents;
                }
                refill(current);
                if (tokens >= 1) {
                    return take(current, maxEvents);
                }
                final long needed = (long) Math.ceil((1 - tokens) * TimeUnit.SECONDS.toNanos(1) / current.perSecond());
                final long left = maxWaitNanos - (System.nanoTime() - start);
                if (left <= 0) {
                    return 0;
                }
                changed.awaitNanos(Math.max(1, Math.min(needed, left)));
            }
        } finally {
            lock.unlock();
        }
    }

    /** For a full batch of {@code maxEvents} without waiting: {@code maxEvents}, or 0 when the bucket has not enough. */
    public int tryAcquire(final int maxEvents) {
        if (limit == null) {
            return maxEvents;
        }
        lock.lock();
        try {
            final RateLimit current = limit;
            if (current == null) {
                return maxEvents;
            }
            refill(current);
            final double cost = current.unit() == RateLimit.Unit.EVENTS ? maxEvents : 1;
            if (tokens < cost) {
                return 0;
            }
            tokens -= cost;
            return maxEvents;
        } finally {
            lock.unlock();
        }
    }

    /** {@code taken} of the {@code granted} events were found in the queue: the unused tokens go back. */
    public void release(final int granted, final int taken) {
        if (limit == null || taken >= granted && taken > 0) {
            return;
        }
        lock.lock();
        try {
            final RateLimit current = limit;
            if (current == null) {
                return;
            }
            final double unused = current.unit() == RateLimit.Unit.EVENTS ? granted - taken : (taken == 0 ? 1 : 0);
            tokens = Math.min(current.burst(), tokens + unused);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private void refill(final RateLimit current) {
        final long now = System.nanoTime();
        tokens = Math.min(current.burst(), tokens + (now - refilledNanos) * current.perSecond() / TimeUnit.SECONDS.toNanos(1));
        refilledNanos = now;
    }

    private int take(final RateLimit current, final int maxEvents) {
        if (current.unit() == RateLimit.Unit.REQUESTS) {
            tokens -= 1;
            return maxEvents;
        }
        final int granted = (int) Math.min(maxEvents, Math.floor(tokens));
        tokens -= granted;
        return granted;
    }
}
