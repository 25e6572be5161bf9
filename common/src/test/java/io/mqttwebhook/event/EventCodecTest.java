package io.mqttwebhook.event;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The disk queue's binary form: what may be absent comes back absent, what may not makes the record damaged. */
class EventCodecTest {

    private static final EventBodies BODIES = new EventBodies(PayloadEncoding.PLAIN);

    @Test
    void everyEventComesBackWithItsBodyAndTimeAlsoWithoutTheFieldsThatMayBeAbsent() {
        final Mqtt5Properties properties = Mqtt5Properties.builder().userProperty("k", "v").contentType("text/plain")
                .correlationData(new byte[]{1, 2}).messageExpiryInterval(30L).build();
        final List<WebhookEvent> events = List.of(
                new PublishEvent("pub", null, "a/b", 1, true, "hello".getBytes(StandardCharsets.UTF_8), 11, properties),
                new PublishEvent("pub", "alice", "a/b", 0, false, new byte[0], 12),
                new MessageEvent(EventType.MESSAGE_DELIVERED, "sub", null, "pub", null, "a/b", 2, false,
                        null, 13, null),
                new MessageEvent(EventType.MESSAGE_ACKED, "sub", "bob", "pub", "alice", "a/b", 1, false,
                        new byte[]{0, (byte) 0xff}, 14, properties),
                new ConnackEvent("c", null, 5, 60, "success"),
                new ConnectEvent(EventType.CLIENT_CONNECTED, "c", null, null, 60, 4, 15),
                new ConnectEvent(EventType.CLIENT_CONNECT, "c", "alice", "127.0.0.1", 30, 5, 16, properties),
                new DisconnectedEvent("c", null, "normal"),
                new SessionTerminatedEvent("c", "alice", "takenover"),
                new SubscriptionEvent(EventType.CLIENT_SUBSCRIBE, "c", null, "a/#", 1));
        for (final WebhookEvent event : events) {
            event.restoreCreatedMillis(1_700_000_000_123L);
            final WebhookEvent back = EventCodec.decode(EventCodec.encode(event));
            assertThat(back.type()).isEqualTo(event.type());
            assertThat(back.username()).isEqualTo(event.username());
            assertThat(back.createdMillis()).isEqualTo(1_700_000_000_123L);
            assertThat(new String(BODIES.single(back), StandardCharsets.UTF_8)).as(event.toString())
                    .isEqualTo(new String(BODIES.single(event), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aRecordWithoutARequiredFieldIsDamagedNotAnEventWithANull() throws IOException {
        // a disconnect whose client id is written absent (-1): a client id is never absent
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(EventCodec.VERSION);
            out.writeByte(EventType.CLIENT_DISCONNECTED.ordinal());
            out.writeLong(1L);
            out.writeInt(-1); // client id
            out.writeInt(-1); // username: may be absent
            out.writeInt(6);
            out.write("normal".getBytes(StandardCharsets.UTF_8));
        }
        assertThatThrownBy(() -> EventCodec.decode(bytes.toByteArray()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("damaged record")
                .hasMessageContaining("a required field is missing");
    }

    @Test
    void aRecordWithoutItsReasonIsDamagedToo() throws IOException {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(EventCodec.VERSION);
            out.writeByte(EventType.CLIENT_DISCONNECTED.ordinal());
            out.writeLong(1L);
            out.writeInt(1);
            out.write('c');
            out.writeInt(-1);
            out.writeInt(-1); // reason
        }
        assertThatThrownBy(() -> EventCodec.decode(bytes.toByteArray()))
                .hasMessageContaining("a required field is missing");
    }
}
