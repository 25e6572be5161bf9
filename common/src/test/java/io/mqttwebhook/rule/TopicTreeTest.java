package io.mqttwebhook.rule;

import io.mqttwebhook.event.EventType;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TopicTreeTest {

    private static boolean matches(final String filter, final String topic) {
        final TopicTree tree = new TopicTree();
        tree.add(filter);
        return tree.matches(topic);
    }

    @Test
    void mqttMatchingSemantics() {
        assertThat(matches("a/b/c", "a/b/c")).isTrue();
        assertThat(matches("a/b/c", "a/b")).isFalse();
        assertThat(matches("a/b/c", "A/b/c")).isFalse();
        assertThat(matches("a/+/c", "a/b/c")).isTrue();
        assertThat(matches("a/+/c", "a/b/d/c")).isFalse();
        assertThat(matches("a/+", "a/")).isTrue();
        assertThat(matches("+/+", "/finance")).isTrue();
        assertThat(matches("+", "/finance")).isFalse();
        assertThat(matches("a/#", "a")).isTrue();
        assertThat(matches("a/#", "a/b/c")).isTrue();
        assertThat(matches("a/#", "ab")).isFalse();
        assertThat(matches("#", "anything/at/all")).isTrue();
        assertThat(matches("a//c", "a//c")).isTrue();
        assertThat(matches("a/b", "a/b/")).isFalse();
    }

    @Test
    void wildcardsAtTheStartDoNotMatchDollarTopics() {
        assertThat(matches("#", "$SYS/broker")).isFalse();
        assertThat(matches("+/broker", "$SYS/broker")).isFalse();
        assertThat(matches("$SYS/#", "$SYS/broker")).isTrue();
        assertThat(matches("$SYS/+", "$SYS/broker")).isTrue();
    }

    @Test
    void sharedSubscriptionFiltersMatchAsTheirFilter() {
        assertThat(matches("$share/g1/a/+", "a/b")).isTrue();
        assertThat(matches("$share/g1/a/+", "g1/a/b")).isFalse();
    }

    @Test
    void filterValidation() {
        assertThat(TopicFilters.problem("a/#/b")).hasValueSatisfying(p -> assertThat(p).contains("last level"));
        assertThat(TopicFilters.problem("a+")).hasValueSatisfying(p -> assertThat(p).contains("'+'"));
        assertThat(TopicFilters.problem("a/b#")).isPresent();
        assertThat(TopicFilters.problem("")).isPresent();
        assertThat(TopicFilters.problem("$share/g")).isPresent();
        assertThat(TopicFilters.problem("$share/g+/a")).isPresent();
        assertThat(TopicFilters.problem("a/+/#")).isEmpty();
        assertThat(TopicFilters.problem("$share/g/#")).isEmpty();
    }

    @Test
    void tenThousandRulesMatchLikeALinearScan() {
        final List<String> filters = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            switch (i % 3) {
                case 0: filters.add("site/" + i + "/temp"); break;
                case 1: filters.add("site/+/dev" + i); break;
                default: filters.add("fleet/" + i + "/#"); break;
            }
        }
        final TopicTree tree = new TopicTree();
        filters.forEach(tree::add);
        assertThat(tree.size()).isEqualTo(10_000);
        final String[] topics = {"site/3/temp", "site/4/temp", "site/x/dev7", "site/x/dev8", "fleet/5/a/b", "fleet/5",
                "fleet/6/a", "other"};
        for (final String topic : topics) {
            final boolean linear = filters.stream().anyMatch(f -> matches(f, topic));
            assertThat(tree.matches(topic)).as(topic).isEqualTo(linear);
        }
    }

    @Test
    void oneDecisionPerEndpointHoweverManyOfItsRulesMatch() {
        final Router router = new Router(List.of(List.of(
                new Rule(EventType.MESSAGE_PUBLISH, "a/#"),
                new Rule(EventType.MESSAGE_PUBLISH, "a/+"),
                new Rule(EventType.CLIENT_CONNACK, null))));
        assertThat(router.match(EventType.MESSAGE_PUBLISH, "a/b")).isEqualTo(1);
        assertThat(router.match(EventType.MESSAGE_PUBLISH, "b")).isZero();
        assertThat(router.match(EventType.CLIENT_CONNACK, null)).isEqualTo(1);
        assertThat(router.match(EventType.CLIENT_DISCONNECTED, null)).isZero();
        assertThat(router.wants(EventType.MESSAGE_PUBLISH)).isTrue();
        assertThat(router.wants(EventType.MESSAGE_DELIVERED)).isFalse();
        assertThat(router.ruleCount()).isEqualTo(3);
    }

    @Test
    void aRuleWithoutTopicMatchesEveryTopicOfItsEvent() {
        final Router router = new Router(List.of(List.of(new Rule(EventType.MESSAGE_PUBLISH, "a/#"),
                new Rule(EventType.MESSAGE_PUBLISH, null))));
        assertThat(router.match(EventType.MESSAGE_PUBLISH, "zzz")).isEqualTo(1);
        assertThat(router.match(EventType.MESSAGE_PUBLISH, "$SYS/x")).isEqualTo(1);
    }

    @Test
    void oneTreeGivesTheSetOfEndpointsWhoseRulesMatch() {
        final Router router = new Router(List.of(
                List.of(new Rule(EventType.MESSAGE_PUBLISH, null)),                                  // analytics: every publish
                List.of(new Rule(EventType.CLIENT_CONNACK, null), new Rule(EventType.CLIENT_DISCONNECTED, null)),
                List.of(new Rule(EventType.MESSAGE_PUBLISH, "alarms/#"), new Rule(EventType.MESSAGE_PUBLISH, "alarms/+")),
                List.of(new Rule(EventType.MESSAGE_PUBLISH, "+/fire"))));
        assertThat(router.match(EventType.MESSAGE_PUBLISH, "sensors/t")).isEqualTo(0b0001);
        assertThat(router.match(EventType.MESSAGE_PUBLISH, "alarms/x")).isEqualTo(0b0101);
        assertThat(router.match(EventType.MESSAGE_PUBLISH, "alarms/fire")).isEqualTo(0b1101);
        assertThat(router.match(EventType.MESSAGE_PUBLISH, "$SYS/fire")).isEqualTo(0b0001);
        assertThat(router.match(EventType.CLIENT_CONNACK, null)).isEqualTo(0b0010);
        assertThat(router.match(EventType.MESSAGE_DELIVERED, "alarms/x")).isZero();
    }

    @Test
    void treeMatchesGiveTheUnionOfTheBitsOfEveryMatchingFilter() {
        final List<String> filters = new ArrayList<>();
        final TopicTree tree = new TopicTree();
        final String[] all = {"a/b/c", "a/+/c", "a/#", "#", "+/b/#", "a/b", "+/+/+", "$SYS/#", "a//c", "+"};
        for (int i = 0; i < all.length; i++) {
            filters.add(all[i]);
            tree.add(all[i], 1 << i);
        }
        for (final String topic : new String[]{"a/b/c", "a/b", "a", "x/b/y", "$SYS/a", "a//c", "b", "", "a/b/c/d"}) {
            int expected = 0;
            for (int i = 0; i < all.length; i++) {
                if (matches(all[i], topic)) {
                    expected |= 1 << i;
                }
            }
            assertThat(tree.match(topic)).as(topic).isEqualTo(expected);
        }
    }
}
