package io.mqttwebhook.event;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class PayloadEncodingTest {

    private static final String DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    @Test
    void base62MatchesNanoMqExamples() {
        assertThat(PayloadEncoding.BASE62.encode("hello".getBytes(StandardCharsets.UTF_8))).isEqualTo("7tQLFHz");
        assertThat(PayloadEncoding.BASE62.encode("messagei+/".getBytes(StandardCharsets.UTF_8))).isEqualTo("2a7oZkl5ty6sG7");
        assertThat(PayloadEncoding.BASE62.encode(new byte[]{0, 0, 1})).isEqualTo("001");
        assertThat(PayloadEncoding.BASE62.encode(new byte[]{0, 0})).isEqualTo("00");
        assertThat(PayloadEncoding.BASE62.encode(new byte[]{61})).isEqualTo("z");
        assertThat(PayloadEncoding.BASE62.encode(new byte[]{62})).isEqualTo("10");
    }

    @Test
    void base62OfLargePayloadsEqualsDigitByDigitConversion() {
        final Random random = new Random(42);
        for (final int size : new int[]{7, 8, 9, 60, 61, 200, 1000, 4096}) {
            final byte[] bytes = new byte[size];
            random.nextBytes(bytes);
            bytes[0] = (byte) (size % 3 == 0 ? 0 : bytes[0] | 1);
            assertThat(PayloadEncoding.BASE62.encode(bytes)).as("size %d", size).isEqualTo(naiveBase62(bytes));
        }
    }

    @Test
    void base62HandlesInteriorZeroDigits() {
        // 62^25 has 25 zero digits after the 1: every padded chunk must keep its zeros
        final byte[] bytes = BigInteger.valueOf(62).pow(25).toByteArray();
        assertThat(PayloadEncoding.BASE62.encode(bytes)).isEqualTo("1" + "0".repeat(25));
    }

    private static String naiveBase62(final byte[] bytes) {
        int zeros = 0;
        while (zeros < bytes.length && bytes[zeros] == 0) {
            zeros++;
        }
        final StringBuilder digits = new StringBuilder();
        BigInteger value = new BigInteger(1, bytes);
        final BigInteger base = BigInteger.valueOf(62);
        while (value.signum() > 0) {
            final BigInteger[] qr = value.divideAndRemainder(base);
            digits.append(DIGITS.charAt(qr[1].intValue()));
            value = qr[0];
        }
        return "0".repeat(zeros) + digits.reverse();
    }

    @Test
    void base64IsRfc4648WithPadding() {
        assertThat(PayloadEncoding.BASE64.encode("hello".getBytes(StandardCharsets.UTF_8))).isEqualTo("aGVsbG8=");
        assertThat(PayloadEncoding.BASE64.encode(new byte[]{(byte) 0xfb, (byte) 0xff})).isEqualTo("+/8=");
    }

    @Test
    void plainReplacesMalformedBytesAndKeepsNul() {
        assertThat(PayloadEncoding.PLAIN.encode(new byte[]{'a', 0, 'b', (byte) 0xff, 'c'})).isEqualTo("a\u0000b\uFFFDc");
        assertThat(PayloadEncoding.PLAIN.encode("grüße".getBytes(StandardCharsets.UTF_8))).isEqualTo("grüße");
    }

    @Test
    void emptyPayloadIsEmptyInEveryEncoding() {
        for (final PayloadEncoding encoding : PayloadEncoding.values()) {
            assertThat(encoding.encode(new byte[0])).isEmpty();
        }
    }

    @Test
    void namesAreCaseInsensitive() {
        assertThat(PayloadEncoding.fromConfigName("Base64")).contains(PayloadEncoding.BASE64);
        assertThat(PayloadEncoding.fromConfigName("hex")).isEmpty();
    }
}
