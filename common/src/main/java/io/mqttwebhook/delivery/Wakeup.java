package io.mqttwebhook.delivery;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * How a queue's one consumer waits for its producers without costing them a wake-up per event: producers
 * {@link #signal} after each offer, which unparks the consumer only when it is parked; while traffic flows the
 * consumer does not park until signalled but looks again after {@link #TICK_NANOS} ({@link #pause}), taking
 * everything that arrived meanwhile at once. On a broker thread a signal to a parked thread is a futex call,
 * and the woken thread a context switch: per event, that cost more than the event's HTTP request.
 */
final class Wakeup {

    /** How long a consumer that had work looks away before it looks again. */
    static final long TICK_NANOS = TimeUnit.MICROSECONDS.toNanos(250);

    private final AtomicReference<Thread> parked = new AtomicReference<>();

    /** Producer side, after an offer: wakes the consumer if it is parked. */
    void signal() {
        final Thread consumer = parked.get();
        if (consumer != null && parked.compareAndSet(consumer, null)) {
            LockSupport.unpark(consumer);
        }
    }

    /**
     * Consumer side: parks up to {@code nanos} until signalled, unless {@code ready} already holds (checked after
     * announcing the park, so that an offer cannot slip between the check and the park). May return early.
     */
    void await(final long nanos, final BooleanSupplier ready) throws InterruptedException {
        final Thread self = Thread.currentThread();
        parked.set(self);
        try {
            if (!ready.getAsBoolean()) {
                LockSupport.parkNanos(this, nanos);
            }
        } finally {
            parked.compareAndSet(self, null);
        }
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }

    /** Consumer side: looks away for {@code nanos} without asking to be woken. */
    static void pause(final long nanos) throws InterruptedException {
        LockSupport.parkNanos(nanos);
        if (Thread.interrupted()) {
            throw new InterruptedException();
        }
    }
}
