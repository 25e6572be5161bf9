package io.mqttwebhook.event;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * How the {@code payload} field of a body is written: {@code plain} UTF-8 text (malformed bytes become
 * U+FFFD, never cut at a NUL), RFC 4648 {@code base64} with padding, or NanoMQ's {@code base62}.
 */
public enum PayloadEncoding {
    PLAIN,
    BASE64,
    BASE62;

    private static final char[] BASE62_DIGITS =
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".toCharArray();
    /** 62^10 is the largest power of 62 below 2^63: numbers below it are converted with long arithmetic. */
    private static final int CHUNK_DIGITS = 10;
    private static final BigInteger CHUNK = BigInteger.valueOf(62).pow(CHUNK_DIGITS);

    /** The payload as the text that goes into the JSON string. */
    public String encode(final byte[] payload) {
        if (payload.length == 0) {
            return "";
        }
        switch (this) {
            case BASE64:
                return Base64.getEncoder().encodeToString(payload);
            case BASE62:
                return base62(payload);
            default:
                return new String(payload, StandardCharsets.UTF_8);
        }
    }

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<PayloadEncoding> fromConfigName(final String name) {
        for (final PayloadEncoding encoding : values()) {
            if (encoding.configName().equalsIgnoreCase(name.trim())) {
                return Optional.of(encoding);
            }
        }
        return Optional.empty();
    }

    /**
     * NanoMQ's base62: one '0' per leading zero byte, then the remaining bytes as one big-endian unsigned
     * integer written in base 62 (digits 0-9A-Za-z).
     */
    static String base62(final byte[] bytes) {
        int zeros = 0;
        while (zeros < bytes.length && bytes[zeros] == 0) {
            zeros++;
        }
        final StringBuilder out = new StringBuilder(zeros + (bytes.length - zeros) * 4 / 3 + 2);
        for (int i = 0; i < zeros; i++) {
            out.append('0');
        }
        if (zeros < bytes.length) {
            final BigInteger value = new BigInteger(1, bytes, zeros, bytes.length - zeros);
            appendBase62(out, value);
        }
        return out.toString();
    }

    /**
     * Appends {@code value} in base 62. Divide and conquer on powers 62^(10*2^k) keeps large payloads near
     * BigInteger's division cost instead of one long division over the whole number per digit.
     */
    private static void appendBase62(final StringBuilder out, final BigInteger value) {
        if (value.compareTo(CHUNK) < 0) {
            appendSmall(out, value.longValue(), 0);
            return;
        }
        final List<BigInteger> powers = new ArrayList<>();
        powers.add(CHUNK);
        while (powers.get(powers.size() - 1).pow(2).compareTo(value) <= 0) {
            powers.add(powers.get(powers.size() - 1).pow(2));
        }
        appendLevel(out, value, powers, powers.size() - 1, false);
    }

    /** {@code value < powers[level]^2}; with {@code pad}, writes exactly 2 * digits(powers[level]) digits. */
    private static void appendLevel(final StringBuilder out, final BigInteger value, final List<BigInteger> powers,
                                    final int level, final boolean pad) {
        if (level < 0) {
            appendSmall(out, value.longValue(), pad ? CHUNK_DIGITS : 0);
            return;
        }
        final BigInteger[] qr = value.divideAndRemainder(powers.get(level));
        if (!pad && qr[0].signum() == 0) {
            appendLevel(out, qr[1], powers, level - 1, false);
        } else {
            appendLevel(out, qr[0], powers, level - 1, pad);
            appendLevel(out, qr[1], powers, level - 1, true);
        }
    }

    private static void appendSmall(final StringBuilder out, final long value, final int width) {
        final char[] digits = new char[Math.max(width, 11)];
        int pos = digits.length;
        long rest = value;
        do {
            digits[--pos] = BASE62_DIGITS[(int) (rest % 62)];
            rest /= 62;
        } while (rest > 0);
        if (width > 0) {
            while (digits.length - pos < width) {
                digits[--pos] = '0';
            }
        }
        out.append(digits, pos, digits.length - pos);
    }
}
