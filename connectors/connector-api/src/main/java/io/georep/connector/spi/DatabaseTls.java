package io.georep.connector.spi;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * How the agent's connections to its region's database use TLS ({@code database.tls.*} of {@code
 * agent.yaml}): the mode, the certificate authority the server's certificate must be signed by, and
 * the client certificate and key for certificate logins. A connector maps these to its driver's
 * properties ({@link Connector#tlsProperties}) for every connection it and the command line open.
 *
 * <p>Immutable and thread-safe; {@link #toString()} never shows the key's password.
 *
 * @param mode the mode, or null for the driver's default (PgJDBC: {@code prefer}, encrypted if the
 *     server offers it, never verified) or what the database URL says
 * @param rootCert the PEM file of the certificate authority that signed the server's certificate,
 *     or null for the driver's default
 * @param cert the client certificate file, or null for none
 * @param key the client key file, or null for none
 * @param keyPassword the password of the client key, or null if the key is not encrypted; never
 *     shown
 */
public record DatabaseTls(Mode mode, Path rootCert, Path cert, Path key, String keyPassword) {

  /** No TLS setting: the driver's defaults and whatever the database URL says. */
  public static final DatabaseTls DEFAULT = new DatabaseTls(null, null, null, null, null);

  /** The TLS modes, named as libpq and PgJDBC name them. */
  public enum Mode {
    /** No TLS: the connection is plain text. */
    DISABLE,
    /** TLS if the server offers it, else plain text; the certificate is not checked. */
    PREFER,
    /** TLS always; the certificate is not checked (an attacker in the path can impersonate). */
    REQUIRE,
    /** TLS, and the server's certificate must be signed by the root certificate. */
    VERIFY_CA,
    /**
     * TLS, the server's certificate must be signed by the root certificate, and it must name the
     * host the URL connects to: the production setting.
     */
    VERIFY_FULL;

    /**
     * Returns the mode as configuration writes it, such as {@code verify-full}.
     *
     * @return the name
     */
    public String configName() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Returns the mode a configuration value names.
     *
     * @param text {@code disable}, {@code prefer}, {@code require}, {@code verify-ca} or {@code
     *     verify-full}
     * @return the mode
     * @throws IllegalArgumentException if the text names no mode
     */
    public static Mode ofConfigName(String text) {
      for (Mode m : values()) {
        if (m.configName().equals(Objects.requireNonNull(text, "text"))) {
          return m;
        }
      }
      throw new IllegalArgumentException(
          "database.tls.mode must be disable, prefer, require, verify-ca or verify-full, got '"
              + text
              + "'");
    }
  }

  /**
   * Validates the settings.
   *
   * @throws IllegalArgumentException if a key is given without its certificate or the other way
   *     round, or a key password without a key, naming the keys
   */
  public DatabaseTls {
    if ((cert == null) != (key == null) && !(cert == null && isPkcs12(key))) {
      throw new IllegalArgumentException(
          "database.tls.cert and database.tls.key go together: give both, or neither (a"
              + " PKCS#12 database.tls.key holds the certificate too)");
    }
    if (keyPassword != null && key == null) {
      throw new IllegalArgumentException(
          "database.tls.key-password is set without database.tls.key: remove it, or set"
              + " database.tls.key");
    }
  }

  /**
   * Tells whether nothing is set.
   *
   * @return true if every setting is the driver's default
   */
  public boolean isDefault() {
    return equals(DEFAULT);
  }

  /**
   * Tells whether a key file is PKCS#12 by its name ({@code .p12} or {@code .pfx}), as PgJDBC
   * decides it.
   *
   * @param key the key file; may be null
   * @return true for a PKCS#12 file
   */
  public static boolean isPkcs12(Path key) {
    if (key == null) {
      return false;
    }
    String name = key.getFileName().toString().toLowerCase(Locale.ROOT);
    return name.endsWith(".p12") || name.endsWith(".pfx");
  }

  /** Shows the settings without the key's password. */
  @Override
  public String toString() {
    return "DatabaseTls[mode="
        + (mode == null ? "default" : mode.configName())
        + ", rootCert="
        + rootCert
        + ", cert="
        + cert
        + ", key="
        + key
        + (keyPassword == null ? "" : ", keyPassword=***")
        + "]";
  }
}
