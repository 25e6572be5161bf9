package io.mqttwebhook.delivery;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;

/**
 * Standard Webhooks 1.0 signatures: {@code v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">}.
 */
public final class Signer {

    private final SecretKeySpec key;

    public Signer(final byte[] secret) {
        this.key = new SecretKeySpec(secret, "HmacSHA256");
    }

    /** The {@code webhook-signature} header value for one attempt. */
    public String sign(final String id, final long timestampSeconds, final byte[] body) {
        try {
            final Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
            mac.update(body);
            return "v1," + Base64.getEncoder().encodeToString(mac.doFinal());
        } catch (final GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
        }
    }
}
