package io.georep.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made by a test: a certificate authority of its own and the server and client
 * certificates it signs, written as PEM, PKCS#8 or PKCS#12 files for TLS servers (Kafka,
 * PostgreSQL, the agent's HTTP port) and their clients. Nothing here is for production: keys are
 * 2048-bit RSA, valid for a day.
 */
public final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  private TestCertificates() {}

  /**
   * A key pair and its certificate chain (leaf first).
   *
   * @param keys the key pair
   * @param chain the certificate, then its issuer's (empty for an authority's own)
   */
  public record Issued(KeyPair keys, List<X509Certificate> chain) {
    /**
     * Returns the certificate.
     *
     * @return the leaf certificate
     */
    public X509Certificate certificate() {
      return chain.get(0);
    }

    /**
     * Writes the certificate chain as PEM.
     *
     * @param file where
     * @return the file
     */
    public Path writeCertificatePem(Path file) {
      return writePem(file, chain.toArray());
    }

    /**
     * Writes the private key as unencrypted PKCS#8 PEM ({@code BEGIN PRIVATE KEY}), readable only
     * by its owner (PostgreSQL refuses a key file others may read).
     *
     * @param file where
     * @return the file
     */
    public Path writeKeyPem(Path file) {
      try {
        writePem(file, new Object[] {new JcaPKCS8Generator(keys.getPrivate(), null)});
      } catch (org.bouncycastle.util.io.pem.PemGenerationException e) {
        throw new IllegalStateException(e);
      }
      ownerOnly(file);
      return file;
    }

    /**
     * Writes the private key as unencrypted PKCS#8 DER (the {@code .pk8} form PgJDBC reads).
     *
     * @param file where
     * @return the file
     */
    public Path writeKeyDer(Path file) {
      try {
        Files.write(file, keys.getPrivate().getEncoded());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      ownerOnly(file);
      return file;
    }

    /**
     * Writes the key and its chain as a PKCS#12 key store.
     *
     * @param file where
     * @param password the store's and the key's password
     * @return the file
     */
    public Path writePkcs12(Path file, String password) {
      return writeStore(
          file,
          password,
          store ->
              store.setKeyEntry(
                  "key",
                  keys.getPrivate(),
                  password.toCharArray(),
                  chain.toArray(new Certificate[0])));
    }
  }

  /** A certificate authority that signs server and client certificates. */
  public static final class Authority {
    private final Issued self;

    private Authority(Issued self) {
      this.self = self;
    }

    /**
     * Returns the authority's own key and certificate.
     *
     * @return them
     */
    public Issued issued() {
      return self;
    }

    /**
     * Writes the authority's certificate as PEM (a root certificate file for clients).
     *
     * @param file where
     * @return the file
     */
    public Path writeCertificatePem(Path file) {
      return self.writeCertificatePem(file);
    }

    /**
     * Writes a PKCS#12 trust store holding the authority's certificate.
     *
     * @param file where
     * @param password the store's password
     * @return the file
     */
    public Path writeTrustStore(Path file, String password) {
      return writeStore(
          file, password, store -> store.setCertificateEntry("ca", self.certificate()));
    }

    /**
     * Issues a certificate for a server or client, valid for the given DNS names and IP addresses
     * (subject alternative names, which hostname verification checks).
     *
     * @param commonName the subject's CN (a client certificate's user name, for PostgreSQL)
     * @param names DNS names and IP literals, such as {@code localhost} and {@code 127.0.0.1}
     * @return the key pair and chain
     */
    public Issued issue(String commonName, String... names) {
      List<GeneralName> san = new ArrayList<>();
      for (String n : names) {
        boolean ip = Character.isDigit(n.charAt(0)) || n.contains(":");
        san.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, n));
      }
      KeyPair keys = rsa();
      X509Certificate cert =
          sign(
              new X500Name("CN=" + commonName),
              keys,
              new X500Name(self.certificate().getSubjectX500Principal().getName()),
              self.keys(),
              false,
              san.isEmpty() ? null : new GeneralNames(san.toArray(new GeneralName[0])));
      return new Issued(keys, List.of(cert, self.certificate()));
    }
  }

  /**
   * Creates a new certificate authority.
   *
   * @param commonName its CN, which names it in TLS errors
   * @return the authority
   */
  public static Authority authority(String commonName) {
    KeyPair keys = rsa();
    X500Name name = new X500Name("CN=" + commonName);
    X509Certificate cert = sign(name, keys, name, keys, true, null);
    return new Authority(new Issued(keys, List.of(cert)));
  }

  private static X509Certificate sign(
      X500Name subject,
      KeyPair subjectKeys,
      X500Name issuer,
      KeyPair issuerKeys,
      boolean authority,
      GeneralNames san) {
    Instant now = Instant.now();
    try {
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              issuer,
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(now.minus(Duration.ofHours(1))),
              Date.from(now.plus(Duration.ofDays(1))),
              subject,
              subjectKeys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(authority));
      b.addExtension(
          Extension.keyUsage,
          true,
          new KeyUsage(
              authority
                  ? KeyUsage.keyCertSign | KeyUsage.cRLSign
                  : KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      if (san != null) {
        b.addExtension(Extension.subjectAlternativeName, false, san);
      }
      return new JcaX509CertificateConverter()
          .getCertificate(
              b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKeys.getPrivate())));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException | OperatorCreationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Fills a store. */
  private interface Entries {
    void add(KeyStore store) throws GeneralSecurityException;
  }

  private static Path writeStore(Path file, String password, Entries entries) {
    try {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      entries.add(store);
      try (OutputStream out = Files.newOutputStream(file)) {
        store.store(out, password.toCharArray());
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair rsa() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
      g.initialize(2048);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Path writePem(Path file, Object[] objects) {
    StringWriter text = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(text)) {
      for (Object o : objects) {
        w.writeObject(o);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      Files.writeString(file, text.toString(), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return file;
  }

  private static void ownerOnly(Path file) {
    try {
      Files.setPosixFilePermissions(
          file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
