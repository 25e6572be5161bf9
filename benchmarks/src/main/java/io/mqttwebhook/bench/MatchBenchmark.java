package io.mqttwebhook.bench;

import io.mqttwebhook.event.EventType;
import io.mqttwebhook.rule.Rule;
import io.mqttwebhook.rule.Router;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Rule matching per published topic with 1, 100 and 10 000 rules, a third each exact, '+' and '#'. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class MatchBenchmark {

    @Param({"1", "100", "10000"})
    public int rules;

    private Router router;
    private final String[] topics = {"site/7/temp", "site/x/dev8", "fleet/5/a/b", "other/topic/with/levels"};
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        final List<Rule> list = new ArrayList<>();
        for (int i = 0; i < rules; i++) {
            switch (i % 3) {
                case 0:
                    list.add(new Rule(EventType.MESSAGE_PUBLISH, "site/" + i + "/temp"));
                    break;
                case 1:
                    list.add(new Rule(EventType.MESSAGE_PUBLISH, "site/+/dev" + i));
                    break;
                default:
                    list.add(new Rule(EventType.MESSAGE_PUBLISH, "fleet/" + i + "/#"));
                    break;
            }
        }
        router = new Router(List.of(list));
    }

    /** One match per call, cycling through a matching and a non-matching mix of topics. */
    @Benchmark
    public int match() {
        final String topic = topics[next++ & 3];
        return router.match(EventType.MESSAGE_PUBLISH, topic);
    }
}
