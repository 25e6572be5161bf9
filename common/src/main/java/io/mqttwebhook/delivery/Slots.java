package io.mqttwebhook.delivery;

import java.util.concurrent.Semaphore;

/**
 * The {@code pool_size} slots of an endpoint: a request holds one from its first attempt to its end, retry
 * waits included, so at most {@code pool_size} requests are open and the queue, not an unbounded retry list,
 * absorbs a slow endpoint. A reload can grow or shrink the pool.
 */
final class Slots extends Semaphore {

    private static final long serialVersionUID = 1L;

    Slots(final int permits) {
        super(permits);
    }

    void resize(final int from, final int to) {
        if (to > from) {
            release(to - from);
        } else if (to < from) {
            // slots in use are not taken back: the pool shrinks as their requests end
            reducePermits(from - to);
        }
    }

    /** Whether the pool is over its size after a shrink: an ending request gives its slot back, not onward. */
    boolean overSize() {
        return availablePermits() < 0;
    }
}
