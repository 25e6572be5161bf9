package io.mqttwebhook.testing;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Date;

/**
 * A throw-away PKI for TLS tests: a CA, a server certificate for 127.0.0.1 and a client certificate,
 * written as the PEM files NanoMQ's {@code ssl} block names.
 */
public final class TestCerts {

    public final KeyPair caKeys;
    public final X509Certificate ca;
    public final KeyPair serverKeys;
    public final X509Certificate server;
    public final KeyPair clientKeys;
    public final X509Certificate client;

    public TestCerts() throws Exception {
        caKeys = rsa();
        ca = certificate("CN=mqtt-webhook test CA", caKeys, "CN=mqtt-webhook test CA", caKeys, true, false);
        serverKeys = rsa();
        server = certificate("CN=127.0.0.1", serverKeys, "CN=mqtt-webhook test CA", caKeys, false, true);
        clientKeys = rsa();
        client = certificate("CN=webhook-client", clientKeys, "CN=mqtt-webhook test CA", caKeys, false, false);
    }

    private static KeyPair rsa() throws Exception {
        final KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair();
    }

    private static X509Certificate certificate(final String subject, final KeyPair keys, final String issuer,
                                               final KeyPair issuerKeys, final boolean isCa, final boolean ipSan)
            throws Exception {
        final long now = System.currentTimeMillis();
        final X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(new X500Name(issuer),
                BigInteger.valueOf(now + subject.hashCode()), new Date(now - 60_000), new Date(now + 86_400_000L),
                new X500Name(subject), keys.getPublic());
        builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
        if (ipSan) {
            builder.addExtension(Extension.subjectAlternativeName, false,
                    new GeneralNames(new GeneralName(GeneralName.iPAddress, "127.0.0.1")));
        }
        return new JcaX509CertificateConverter().getCertificate(
                builder.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate())));
    }

    /** The server's context: its certificate for 127.0.0.1, trusting client certificates signed by the CA. */
    public SSLContext serverContext() throws Exception {
        final char[] password = "pw".toCharArray();
        final KeyStore keyStore = KeyStore.getInstance("PKCS12");
        keyStore.load(null, null);
        keyStore.setKeyEntry("server", serverKeys.getPrivate(), password, new Certificate[]{server, ca});
        final KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(keyStore, password);
        final KeyStore trustStore = KeyStore.getInstance("PKCS12");
        trustStore.load(null, null);
        trustStore.setCertificateEntry("ca", ca);
        final TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trustStore);
        final SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), trust.getTrustManagers(), null);
        return context;
    }

    public static Path writePem(final Path file, final String type, final byte[] der) throws IOException {
        final String pem = "-----BEGIN " + type + "-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
                + "\n-----END " + type + "-----\n";
        Files.writeString(file, pem);
        return file;
    }

    public Path writeCa(final Path dir) throws Exception {
        return writePem(dir.resolve("ca.pem"), "CERTIFICATE", ca.getEncoded());
    }

    public Path writeClientCert(final Path dir) throws Exception {
        return writePem(dir.resolve("client.pem"), "CERTIFICATE", client.getEncoded());
    }

    /** The client key as unencrypted PKCS#8. */
    public Path writeClientKey(final Path dir) throws Exception {
        return writePem(dir.resolve("client.key"), "PRIVATE KEY", clientKeys.getPrivate().getEncoded());
    }
}
