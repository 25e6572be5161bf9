package io.mqttwebhook.event;
import org.jspecify.annotations.Nullable;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The binary form of an event in the disk queue: what happened (type, client, topic, payload bytes, times),
 * not its JSON body, so that the body is written when it is sent, in the encoding and template in force then
 * (a reload of {@code body.encoding} applies to events already queued). Strings are length-prefixed UTF-8
 * (MQTT allows strings that Java's modified UTF-8 cannot write), payloads raw bytes.
 */
public final class EventCodec {

    /** The first byte of every record; a record of another version is refused, never misread. */
    static final int VERSION = 1;

    private EventCodec() {
    }

    public static byte[] encode(final WebhookEvent event) {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeByte(event.type().ordinal());
            out.writeLong(event.createdMillis());
            writeString(out, event.clientId());
            writeString(out, event.username());
            if (event instanceof PublishEvent) {
                final PublishEvent p = (PublishEvent) event;
                writeString(out, p.topic());
                out.writeByte(p.qos());
                out.writeBoolean(p.retain());
                writeBytes(out, p.payload());
                out.writeLong(p.ts());
                writeProperties(out, p.properties());
            } else if (event instanceof MessageEvent) {
                final MessageEvent m = (MessageEvent) event;
                writeString(out, m.fromClientId());
                writeString(out, m.fromUsername());
                writeString(out, m.topic());
                out.writeByte(m.qos());
                out.writeBoolean(m.retain());
                writeBytes(out, m.payload());
                out.writeLong(m.ts());
                writeProperties(out, m.properties());
            } else if (event instanceof ConnackEvent) {
                final ConnackEvent c = (ConnackEvent) event;
                out.writeByte(c.protoVer());
                out.writeInt(c.keepalive());
                writeString(out, c.connAck());
            } else if (event instanceof ConnectEvent) {
                final ConnectEvent c = (ConnectEvent) event;
                writeString(out, c.ipAddress());
                out.writeInt(c.keepalive());
                out.writeByte(c.protoVer());
                out.writeLong(c.ts());
                writeProperties(out, c.properties());
            } else if (event instanceof DisconnectedEvent) {
                writeString(out, ((DisconnectedEvent) event).reason());
            } else if (event instanceof SessionTerminatedEvent) {
                writeString(out, ((SessionTerminatedEvent) event).reason());
            } else if (event instanceof SubscriptionEvent) {
                final SubscriptionEvent s = (SubscriptionEvent) event;
                writeString(out, s.topic());
                out.writeByte(s.qos());
            } else {
                throw new IllegalArgumentException("no binary form for " + event.getClass().getName());
            }
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The event of a record; {@link IllegalArgumentException} when the record is damaged or of another version. */
    public static WebhookEvent decode(final byte[] record) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(record))) {
            final int version = in.readUnsignedByte();
            if (version != VERSION) {
                throw new IllegalArgumentException("record version " + version + ", expected " + VERSION);
            }
            final int ordinal = in.readUnsignedByte();
            if (ordinal >= EventType.values().length) {
                throw new IllegalArgumentException("unknown event type " + ordinal);
            }
            final EventType type = EventType.values()[ordinal];
            final long created = in.readLong();
            final String clientId = readRequired(in);
            final String username = readString(in);
            final WebhookEvent event;
            switch (type) {
                case MESSAGE_PUBLISH:
                    event = new PublishEvent(clientId, username, readRequired(in), in.readUnsignedByte(),
                            in.readBoolean(), readRequiredBytes(in), in.readLong(), readProperties(in));
                    break;
                case MESSAGE_DELIVERED:
                case MESSAGE_ACKED:
                    event = new MessageEvent(type, clientId, username, readRequired(in), readString(in),
                            readRequired(in), in.readUnsignedByte(), in.readBoolean(), readBytes(in), in.readLong(),
                            readProperties(in));
                    break;
                case CLIENT_CONNACK:
                    event = new ConnackEvent(clientId, username, in.readUnsignedByte(), in.readInt(), readRequired(in));
                    break;
                case CLIENT_CONNECT:
                case CLIENT_CONNECTED:
                    event = new ConnectEvent(type, clientId, username, readRequired(in), in.readInt(),
                            in.readUnsignedByte(), in.readLong(), readProperties(in));
                    break;
                case CLIENT_DISCONNECTED:
                    event = new DisconnectedEvent(clientId, username, readRequired(in));
                    break;
                case SESSION_TERMINATED:
                    event = new SessionTerminatedEvent(clientId, username, readRequired(in));
                    break;
                default:
                    event = new SubscriptionEvent(type, clientId, username, readRequired(in), in.readUnsignedByte());
                    break;
            }
            if (in.available() != 0) {
                throw new IllegalArgumentException(in.available() + " bytes left over");
            }
            event.restoreCreatedMillis(created);
            return event;
        } catch (final IOException e) {
            throw new IllegalArgumentException("damaged record: " + e, e);
        }
    }

    /** A presence byte, then the user properties and each optional property with its own presence byte. */
    private static void writeProperties(final DataOutputStream out, final Mqtt5Properties properties) throws IOException {
        if (properties.isEmpty()) {
            out.writeBoolean(false);
            return;
        }
        out.writeBoolean(true);
        out.writeInt(properties.userProperties().size());
        for (final String[] pair : properties.userProperties()) {
            writeString(out, pair[0]);
            writeString(out, pair[1]);
        }
        writeString(out, properties.contentType());
        writeString(out, properties.responseTopic());
        writeBytes(out, properties.correlationData());
        out.writeBoolean(properties.messageExpiryInterval() != null);
        if (properties.messageExpiryInterval() != null) {
            out.writeLong(properties.messageExpiryInterval());
        }
        out.writeBoolean(properties.payloadFormatIndicator() != null);
        if (properties.payloadFormatIndicator() != null) {
            out.writeByte(properties.payloadFormatIndicator());
        }
    }

    private static Mqtt5Properties readProperties(final DataInputStream in) throws IOException {
        if (!in.readBoolean()) {
            return Mqtt5Properties.NONE;
        }
        final Mqtt5Properties.Builder properties = Mqtt5Properties.builder();
        final int users = in.readInt();
        if (users < 0 || users > in.available()) {
            throw new IOException(users + " user properties in a record of " + in.available() + " bytes left");
        }
        for (int i = 0; i < users; i++) {
            properties.userProperty(readRequired(in), readRequired(in));
        }
        properties.contentType(readString(in)).responseTopic(readString(in)).correlationData(readBytes(in));
        if (in.readBoolean()) {
            properties.messageExpiryInterval(in.readLong());
        }
        if (in.readBoolean()) {
            properties.payloadFormatIndicator(in.readUnsignedByte());
        }
        return properties.build();
    }

    private static void writeString(final DataOutputStream out, final @Nullable String value) throws IOException {
        writeBytes(out, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }

    /** A string the writer never leaves out: a record without one is damaged. */
    private static String readRequired(final DataInputStream in) throws IOException {
        final String value = readString(in);
        if (value == null) {
            throw new IOException("a required field is missing");
        }
        return value;
    }

    private static byte[] readRequiredBytes(final DataInputStream in) throws IOException {
        final byte[] value = readBytes(in);
        if (value == null) {
            throw new IOException("a required field is missing");
        }
        return value;
    }

    private static @Nullable String readString(final DataInputStream in) throws IOException {
        final byte[] bytes = readBytes(in);
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    private static void writeBytes(final DataOutputStream out, final byte @Nullable [] value) throws IOException {
        if (value == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(value.length);
            out.write(value);
        }
    }

    private static byte @Nullable [] readBytes(final DataInputStream in) throws IOException {
        final int length = in.readInt();
        if (length < 0) {
            return null;
        }
        if (length > in.available()) {
            throw new IOException("a field of " + length + " bytes in a record of " + in.available() + " left");
        }
        final byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }
}
