package io.mqttwebhook.delivery.http;
import org.jspecify.annotations.Nullable;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads HTTP/1.1 responses from a byte stream, incrementally, without copying bodies: the status line, the
 * headers that matter here ({@code Content-Length}, {@code Transfer-Encoding: chunked}, {@code Connection},
 * {@code Retry-After}), then the body is skipped (by length, chunk by chunk, or up to the end of the
 * stream). Interim 1xx responses (100 Continue, 103 Early Hints) are skipped; the final one is reported.
 */
final class ResponseParser {

    /** Where each complete response goes. */
    interface Listener {
        /** A final response; {@code close}: the server closes the connection after it. */
        void response(int status, @Nullable String retryAfter, boolean close);

        /** The stream is not HTTP/1.x: the connection must be closed. */
        void protocolError(String what);

        /** False once the listener closed the connection (parsing stops). */
        boolean accepting();
    }

    private static final int MAX_LINE = 8192;
    private static final int STATUS = 0;
    private static final int HEADERS = 1;
    private static final int BODY = 2;
    private static final int CHUNK_SIZE = 3;
    private static final int CHUNK_DATA = 4;
    private static final int CHUNK_END = 5;
    private static final int TRAILERS = 6;
    private static final int UNTIL_CLOSE = 7;

    private final byte[] line = new byte[MAX_LINE];
    private int lineLength;
    private int state = STATUS;
    private int status;
    private boolean http10;
    private boolean close;
    private boolean keepAlive;
    private boolean chunked;
    private long remaining;
    private @Nullable String retryAfter;
    /** Bytes of the response under way have arrived: the server started answering. */
    private boolean started;

    void reset() {
        state = STATUS;
        lineLength = 0;
        started = false;
    }

    /** Whether part of a response has arrived that is not complete yet. */
    boolean midResponse() {
        return started;
    }

    /** Consumes what {@code in} holds (read mode), reporting every complete response. */
    void parse(final ByteBuffer in, final Listener listener) {
        while (in.hasRemaining() && listener.accepting()) {
            started = true;
            if (state == BODY || state == CHUNK_DATA) {
                final int skip = (int) Math.min(remaining, in.remaining());
                in.position(in.position() + skip);
                remaining -= skip;
                if (remaining == 0) {
                    if (state == BODY) {
                        complete(listener);
                    } else {
                        state = CHUNK_END;
                    }
                }
            } else if (state == UNTIL_CLOSE) {
                in.position(in.limit());
            } else if (readLine(in)) {
                onLine(listener);
                lineLength = 0;
            } else if (lineLength == MAX_LINE) {
                listener.protocolError("a response line longer than " + MAX_LINE + " bytes");
                return;
            }
        }
    }

    /** The server closed the stream: completes a response whose body runs until then. */
    void endOfStream(final Listener listener) {
        if (state == UNTIL_CLOSE) {
            close = true;
            complete(listener);
        }
    }

    /** Takes bytes up to LF into {@link #line}; true when a line is complete (CR LF removed). */
    private boolean readLine(final ByteBuffer in) {
        int p = in.position();
        final int limit = in.limit();
        while (p < limit) {
            final byte c = in.get(p++);
            if (c == '\n') {
                in.position(p);
                if (lineLength > 0 && line[lineLength - 1] == '\r') {
                    lineLength--;
                }
                return true;
            }
            if (lineLength == MAX_LINE) {
                break;
            }
            line[lineLength++] = c;
        }
        in.position(p);
        return false;
    }

    private void onLine(final Listener listener) {
        switch (state) {
            case STATUS:
                statusLine(listener);
                break;
            case HEADERS:
                if (lineLength == 0) {
                    endOfHeaders(listener);
                } else {
                    header();
                }
                break;
            case CHUNK_SIZE:
                chunkSize(listener);
                break;
            case CHUNK_END:
                if (lineLength != 0) {
                    listener.protocolError("no CRLF after a chunk");
                    return;
                }
                state = CHUNK_SIZE;
                break;
            case TRAILERS:
                if (lineLength == 0) {
                    complete(listener);
                }
                break;
            default:
                listener.protocolError("unexpected parser state " + state);
        }
    }

    private void statusLine(final Listener listener) {
        if (lineLength == 0) {
            return; // a stray empty line between responses is tolerated
        }
        // "HTTP/1.1 204" at least
        if (lineLength < 12 || !startsWith("HTTP/1.") || line[8] != ' ' || !digit(line[9]) || !digit(line[10])
                || !digit(line[11]) || (lineLength > 12 && line[12] != ' ')) {
            listener.protocolError("not an HTTP/1.x status line: "
                    + new String(line, 0, Math.min(lineLength, 40), StandardCharsets.ISO_8859_1));
            return;
        }
        http10 = line[7] == '0';
        status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        close = false;
        keepAlive = false;
        chunked = false;
        remaining = -1;
        retryAfter = null;
        state = HEADERS;
    }

    private void endOfHeaders(final Listener listener) {
        if (status < 200) {
            if (status == 101) {
                listener.protocolError("101 Switching Protocols was not asked for");
                return;
            }
            state = STATUS; // interim response: the final one follows
            return;
        }
        if (status == 204 || status == 304) {
            complete(listener);
        } else if (chunked) {
            state = CHUNK_SIZE;
        } else if (remaining > 0) {
            state = BODY;
        } else if (remaining == 0) {
            complete(listener);
        } else {
            state = UNTIL_CLOSE;
        }
    }

    private void chunkSize(final Listener listener) {
        long size = 0;
        int i = 0;
        for (; i < lineLength; i++) {
            final int d = Character.digit(line[i], 16);
            if (d < 0) {
                break; // chunk extensions (";name=value") and whitespace follow the size
            }
            if (size > (Long.MAX_VALUE >> 4)) {
                listener.protocolError("chunk size too large");
                return;
            }
            size = size * 16 + d;
        }
        if (i == 0) {
            listener.protocolError("bad chunk size line");
            return;
        }
        remaining = size;
        state = size == 0 ? TRAILERS : CHUNK_DATA;
    }

    private void header() {
        int colon = 0;
        while (colon < lineLength && line[colon] != ':') {
            colon++;
        }
        int from = colon + 1;
        while (from < lineLength && (line[from] == ' ' || line[from] == '\t')) {
            from++;
        }
        int to = lineLength;
        while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\t')) {
            to--;
        }
        if (colon == 14 && nameIs("content-length")) {
            long length = 0;
            for (int i = from; i < to; i++) {
                if (!digit(line[i]) || length > Long.MAX_VALUE / 10) {
                    length = -1;
                    break;
                }
                length = length * 10 + (line[i] - '0');
            }
            remaining = length;
        } else if (colon == 17 && nameIs("transfer-encoding")) {
            chunked = contains(from, to, "chunked");
        } else if (colon == 10 && nameIs("connection")) {
            close |= contains(from, to, "close");
            keepAlive |= contains(from, to, "keep-alive");
        } else if (colon == 11 && nameIs("retry-after")) {
            retryAfter = new String(line, from, to - from, StandardCharsets.ISO_8859_1);
        }
    }

    private void complete(final Listener listener) {
        state = STATUS;
        started = false;
        listener.response(status, retryAfter, close || (http10 && !keepAlive));
    }

    private static boolean digit(final byte b) {
        return b >= '0' && b <= '9';
    }

    private boolean startsWith(final String prefix) {
        for (int i = 0; i < prefix.length(); i++) {
            if (line[i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The header name is {@code lower}, ignoring case (its length was checked). */
    private boolean nameIs(final String lower) {
        for (int i = 0; i < lower.length(); i++) {
            if ((line[i] | 0x20) != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The value contains {@code lower} as a token, ignoring case. */
    private boolean contains(final int from, final int to, final String lower) {
        final int n = lower.length();
        outer:
        for (int i = from; i + n <= to; i++) {
            for (int j = 0; j < n; j++) {
                if ((line[i + j] | 0x20) != lower.charAt(j)) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }
}
