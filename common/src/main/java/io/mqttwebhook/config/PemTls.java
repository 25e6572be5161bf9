package io.mqttwebhook.config;
import org.jspecify.annotations.Nullable;

import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds an {@link SSLContext} from the PEM files NanoMQ's {@code ssl} block names: a CA bundle to trust,
 * and a certificate chain with its private key (PKCS#8, encrypted PKCS#8, or PKCS#1 RSA) for mutual TLS.
 */
final class PemTls {

    private static final Pattern PEM_BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([^-]+)-----END \\1-----");

    private PemTls() {
    }

    /** Thrown with a message fit for a configuration error about {@code key}. */
    static final class PemException extends Exception {
        private static final long serialVersionUID = 1L;
        final String key;

        private final String reason;

        PemException(final String key, final String message) {
            super(message);
            this.key = key;
            this.reason = message;
        }

        @Override
        public String getMessage() {
            return reason;
        }
    }

    static SSLContext context(final @Nullable Path caFile, final @Nullable Path certFile,
                              final @Nullable Path keyFile, final char @Nullable [] keyPassword,
                              final boolean verify) throws PemException {
        try {
            final TrustManager[] trust;
            if (!verify) {
                trust = new TrustManager[]{new TrustEverything()};
            } else if (caFile != null) {
                final KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                int i = 0;
                for (final Certificate certificate : certificates("ssl.cacertfile", caFile)) {
                    store.setCertificateEntry("ca-" + i++, certificate);
                }
                final TrustManagerFactory factory =
                        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                factory.init(store);
                trust = factory.getTrustManagers();
            } else {
                trust = null;
            }
            KeyManager[] keys = null;
            if (certFile != null || keyFile != null) {
                if (certFile == null || keyFile == null) {
                    throw new PemException(certFile == null ? "ssl.certfile" : "ssl.keyfile",
                            "a client certificate needs both certfile and keyfile");
                }
                final Collection<? extends Certificate> chain = certificates("ssl.certfile", certFile);
                final PrivateKey key = privateKey(keyFile, keyPassword);
                final char[] storePassword = "mqtt-webhook".toCharArray();
                final KeyStore store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                store.setKeyEntry("client", key, storePassword, chain.toArray(new Certificate[0]));
                final KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                factory.init(store, storePassword);
                keys = factory.getKeyManagers();
            }
            final SSLContext context = SSLContext.getInstance("TLS");
            context.init(keys, trust, null);
            return context;
        } catch (final GeneralSecurityException | IOException e) {
            throw new PemException("ssl", "cannot set up TLS: " + e.getMessage());
        }
    }

    private static Collection<? extends Certificate> certificates(final String key, final Path file)
            throws PemException {
        final byte[] bytes = read(key, file);
        try {
            final Collection<? extends Certificate> certificates =
                    CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes));
            if (certificates.isEmpty()) {
                throw new PemException(key, "no certificate in " + file);
            }
            return certificates;
        } catch (final GeneralSecurityException e) {
            throw new PemException(key, "cannot read certificates from " + file + ": " + e.getMessage());
        }
    }

    private static PrivateKey privateKey(final Path file, final char @Nullable [] password) throws PemException {
        final String key = "ssl.keyfile";
        final String text = new String(read(key, file), StandardCharsets.US_ASCII);
        final Matcher pem = PEM_BLOCK.matcher(text);
        while (pem.find()) {
            final String type = pem.group(1);
            final byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(pem.group(2).trim());
            } catch (final IllegalArgumentException e) {
                throw new PemException(key, "invalid base64 in " + file);
            }
            try {
                switch (type) {
                    case "PRIVATE KEY":
                        return pkcs8(der);
                    case "RSA PRIVATE KEY":
                        return pkcs8(rsaPkcs1ToPkcs8(der));
                    case "ENCRYPTED PRIVATE KEY":
                        if (password == null) {
                            throw new PemException("ssl.key_password", file + " is encrypted: key_password is required");
                        }
                        final EncryptedPrivateKeyInfo info = new EncryptedPrivateKeyInfo(der);
                        final SecretKeyFactory factory = SecretKeyFactory.getInstance(info.getAlgName());
                        final Cipher cipher = Cipher.getInstance(info.getAlgName());
                        cipher.init(Cipher.DECRYPT_MODE, factory.generateSecret(new PBEKeySpec(password)),
                                info.getAlgParameters());
                        return pkcs8(info.getKeySpec(cipher).getEncoded());
                    default:
                        break;
                }
            } catch (final GeneralSecurityException | IOException e) {
                throw new PemException(key, "cannot read the private key in " + file + ": " + e.getMessage());
            }
        }
        throw new PemException(key, "no PKCS#8 or RSA private key in " + file
                + " (convert with: openssl pkcs8 -topk8 -nocrypt -in key.pem)");
    }

    private static PrivateKey pkcs8(final byte[] der) throws GeneralSecurityException {
        GeneralSecurityException last = null;
        for (final String algorithm : new String[]{"RSA", "EC", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (final GeneralSecurityException e) {
                last = e;
            }
        }
        throw last;
    }

    /** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo (DER). */
    private static byte[] rsaPkcs1ToPkcs8(final byte[] pkcs1) {
        final byte[] algorithm = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d,
                0x01, 0x01, 0x01, 0x05, 0x00};
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(new byte[]{0x02, 0x01, 0x00});
        body.writeBytes(algorithm);
        body.writeBytes(derHeader(0x04, pkcs1.length));
        body.writeBytes(pkcs1);
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(derHeader(0x30, body.size()));
        out.writeBytes(body.toByteArray());
        return out.toByteArray();
    }

    private static byte[] derHeader(final int tag, final int length) {
        if (length < 0x80) {
            return new byte[]{(byte) tag, (byte) length};
        }
        if (length < 0x100) {
            return new byte[]{(byte) tag, (byte) 0x81, (byte) length};
        }
        if (length < 0x10000) {
            return new byte[]{(byte) tag, (byte) 0x82, (byte) (length >> 8), (byte) length};
        }
        return new byte[]{(byte) tag, (byte) 0x83, (byte) (length >> 16), (byte) (length >> 8), (byte) length};
    }

    private static byte[] read(final String key, final Path file) throws PemException {
        try {
            return Files.readAllBytes(file);
        } catch (final IOException e) {
            throw new PemException(key, "cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** {@code ssl.verify = false}: accept any server certificate (host names are not checked either). */
    private static final class TrustEverything implements X509TrustManager {
        @Override
        public void checkClientTrusted(final X509Certificate[] chain, final String authType) {
        }

        @Override
        public void checkServerTrusted(final X509Certificate[] chain, final String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
