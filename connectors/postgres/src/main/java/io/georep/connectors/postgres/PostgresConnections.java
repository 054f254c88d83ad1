package io.georep.connectors.postgres;

import io.georep.connector.DatabaseUrl;
import io.georep.connector.spi.DatabaseRefusedException;
import io.georep.connector.spi.DatabaseTls;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.KeyStoreException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import javax.net.ssl.SSLException;

/**
 * How every PostgreSQL connection of georep is opened: the TLS settings ({@code database.tls.*})
 * mapped to PgJDBC's properties, and the failures retrying cannot fix told apart from those that
 * may pass.
 *
 * <p>The mapping: {@code database.tls.mode} is {@code sslmode}, {@code database.tls.root-cert}
 * {@code sslrootcert} (PEM), {@code database.tls.cert} {@code sslcert} (PEM or DER), {@code
 * database.tls.key} {@code sslkey} and {@code database.tls.key-password} {@code sslpassword}.
 * PgJDBC 42.7 reads a client key as PKCS#8 DER ({@code .pk8}, encrypted or not) or, by the file
 * name {@code .p12}/{@code .pfx}, as PKCS#12 holding the certificate too; it cannot read a PEM key,
 * which is refused here with the command that converts it, and from a PKCS#12 file only the key
 * named {@code user}, which is checked here too. TLS set both in {@code database.tls.*} and in the
 * URL's own {@code ssl*} parameters is refused as well: PgJDBC lets the URL win, so the setting an
 * operator reads in {@code database.tls.*} would silently not be the one in force.
 *
 * <p>Stateless and thread-safe.
 */
final class PostgresConnections {
  /** URL parameters of PgJDBC that set TLS, with the {@code database.tls.*} key that sets each. */
  private static final Map<String, String> URL_TLS_PARAMETERS =
      Map.of(
          "ssl", "database.tls.mode",
          "sslmode", "database.tls.mode",
          "sslfactory", "database.tls.mode",
          "sslhostnameverifier", "database.tls.mode",
          "sslrootcert", "database.tls.root-cert",
          "sslcert", "database.tls.cert",
          "sslkey", "database.tls.key",
          "sslpassword", "database.tls.key-password",
          "sslpasswordcallback", "database.tls.key-password");

  /** The alias of the key PgJDBC's {@code PKCS12KeyManager} reads. */
  private static final String PKCS12_ALIAS = "user";

  private static final java.util.regex.Pattern QUERY_SEPARATOR =
      java.util.regex.Pattern.compile("&");

  private PostgresConnections() {}

  /**
   * Returns PgJDBC's properties for the TLS settings.
   *
   * @param url the JDBC URL; never null
   * @param tls the settings; never null
   * @return the properties; empty for {@link DatabaseTls#DEFAULT}
   * @throws IllegalArgumentException if the URL sets TLS too, or the key is a PEM file
   */
  static Map<String, String> tlsProperties(String url, DatabaseTls tls) {
    Map<String, String> properties = new LinkedHashMap<>();
    if (tls.isDefault()) {
      return properties;
    }
    for (String parameter : urlParameters(url)) {
      String key = URL_TLS_PARAMETERS.get(parameter.toLowerCase(Locale.ROOT));
      if (key != null) {
        throw new IllegalArgumentException(
            "database.url sets TLS itself ('"
                + parameter
                + "') while database.tls.* is set ("
                + key
                + " sets the same): set TLS in one place — remove '"
                + parameter
                + "' from database.url and use "
                + key
                + ", or remove database.tls.*");
      }
    }
    if (tls.key() != null && !DatabaseTls.isPkcs12(tls.key()) && isPem(tls.key())) {
      throw new IllegalArgumentException(
          "database.tls.key "
              + tls.key()
              + " is a PEM file, which PgJDBC cannot read: convert it to PKCS#8 DER with 'openssl"
              + " pkcs8 -topk8 -outform DER -nocrypt -in "
              + tls.key().getFileName()
              + " -out client.pk8' (or to PKCS#12 .p12 holding the certificate too) and name"
              + " that file");
    }
    if (DatabaseTls.isPkcs12(tls.key())) {
      checkPkcs12(tls.key(), tls.keyPassword());
    }
    if (tls.mode() != null) {
      properties.put("sslmode", tls.mode().configName());
    }
    if (tls.rootCert() != null) {
      properties.put("sslrootcert", tls.rootCert().toString());
    }
    if (tls.cert() != null) {
      properties.put("sslcert", tls.cert().toString());
    }
    if (tls.key() != null) {
      properties.put("sslkey", tls.key().toString());
    }
    if (tls.keyPassword() != null) {
      properties.put("sslpassword", tls.keyPassword());
    }
    return properties;
  }

  /**
   * Returns the properties of a connection: user, password, TLS and a connect timeout.
   *
   * @param url the JDBC URL
   * @param user the user
   * @param password the password
   * @param tls the TLS settings
   * @return new properties the caller may add to
   */
  static Properties properties(String url, String user, String password, DatabaseTls tls) {
    Properties properties = new Properties();
    properties.setProperty("user", user);
    properties.setProperty("password", password);
    properties.setProperty("connectTimeout", "10");
    properties.putAll(tlsProperties(url, tls));
    return properties;
  }

  /**
   * Opens a plain connection.
   *
   * @throws DatabaseRefusedException if retrying cannot help (see {@link #refused})
   * @throws SQLException if the database cannot be reached
   */
  static Connection connect(
      String url, String user, String password, DatabaseTls tls, String applicationName)
      throws SQLException {
    Properties properties = properties(url, user, password, tls);
    properties.setProperty("ApplicationName", applicationName);
    try {
      return DriverManager.getConnection(url, properties);
    } catch (SQLException e) {
      Optional<DatabaseRefusedException> refused = refused(e, url, user, tls);
      if (refused.isPresent()) {
        throw refused.get();
      }
      throw e;
    }
  }

  /**
   * Tells a failure retrying cannot fix from one that may pass, and explains it: the login refused
   * (SQL state class 28), the server's certificate not verified, its name not the host's, no TLS on
   * the server, a client certificate or key that cannot be read. A server that is down, a network
   * that drops, a timeout: empty.
   *
   * @param failure what the driver threw (directly or as the cause of a pool's failure)
   * @param url the URL, shown masked
   * @param user the user
   * @param tls the TLS settings, named in the explanation
   * @return the permanent failure to throw, or empty if retrying may help
   */
  static Optional<DatabaseRefusedException> refused(
      Throwable failure, String url, String user, DatabaseTls tls) {
    SQLException sql = null;
    boolean certificate = false;
    boolean tlsFailure = false;
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (sql == null && t instanceof SQLException s && s.getSQLState() != null) {
        sql = s;
      }
      certificate |= t instanceof GeneralSecurityException;
      tlsFailure |= t instanceof SSLException;
    }
    if (sql == null) {
      return Optional.empty();
    }
    String state = sql.getSQLState();
    String message = String.valueOf(sql.getMessage());
    String where = "PostgreSQL at " + DatabaseUrl.masked(url);
    String explanation;
    if (state.startsWith("28")) {
      explanation =
          where
              + " refused the login of user '"
              + user
              + "': "
              + message
              + " — check database.user and database.password"
              + (tls.cert() != null || DatabaseTls.isPkcs12(tls.key())
                  ? " (and, for a certificate login, that database.tls.cert names the user and is"
                      + " signed by the server's ssl_ca_file)"
                  : "")
              + (message.contains("no encryption")
                  ? "; the server accepts this login over TLS only: set database.tls.mode"
                      + " (verify-full in production)"
                  : "");
    } else if (message.contains("could not be verified")) {
      explanation =
          where
              + " presented a certificate that does not name the host database.url connects to: "
              + message
              + " — database.tls.mode verify-full checks the name: connect by a name the"
              + " server's certificate holds (its subject alternative names), or have the"
              + " certificate issued for that host";
    } else if (message.contains("does not support SSL")) {
      explanation =
          where
              + " does not offer TLS, but database.tls.mode is "
              + (tls.mode() == null ? "set in database.url" : tls.mode().configName())
              + " — enable TLS on the server (ssl = on), or set database.tls.mode to what it"
              + " supports";
    } else if (message.contains("SSL root certificate")) {
      explanation =
          where
              + ": "
              + message
              + " — database.tls.root-cert must name a readable PEM file of the certificate"
              + " authority that signed the server's certificate";
    } else if (message.contains("SSL key") || message.contains("SSL certificate file")) {
      explanation =
          where
              + ": "
              + message
              + " — check database.tls.cert, database.tls.key (PKCS#8 DER .pk8 or PKCS#12 .p12)"
              + " and database.tls.key-password";
    } else if (certificate && tlsFailure) {
      explanation =
          where
              + " presented a certificate that does not verify against database.tls.root-cert ("
              + (tls.rootCert() == null ? "not set: PgJDBC's default file" : tls.rootCert())
              + "): "
              + message
              + " — set database.tls.root-cert to the PEM file of the certificate authority that"
              + " signed the server's certificate";
    } else {
      return Optional.empty();
    }
    return Optional.of(new DatabaseRefusedException(explanation, failure));
  }

  /** The names of the URL's query parameters. */
  private static java.util.List<String> urlParameters(String url) {
    int query = url.indexOf('?');
    if (query < 0) {
      return java.util.List.of();
    }
    java.util.List<String> names = new java.util.ArrayList<>();
    for (String pair : QUERY_SEPARATOR.splitAsStream(url.substring(query + 1)).toList()) {
      int eq = pair.indexOf('=');
      String name = eq < 0 ? pair : pair.substring(0, eq);
      if (!name.isEmpty()) {
        names.add(name);
      }
    }
    return names;
  }

  /**
   * Checks that a PKCS#12 key opens with the key password and holds the entry PgJDBC reads: the one
   * named {@code user}, whatever else the file holds.
   */
  private static void checkPkcs12(Path key, String password) {
    KeyStore store;
    try (InputStream in = Files.newInputStream(key)) {
      store = KeyStore.getInstance("PKCS12");
      store.load(in, password == null ? new char[0] : password.toCharArray());
    } catch (NoSuchFileException | AccessDeniedException e) {
      // A missing or unreadable file is reported as such where the settings are checked.
      return;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "database.tls.key "
              + key
              + " does not open as PKCS#12 with "
              + (password == null ? "no password" : "database.tls.key-password")
              + " ("
              + e.getMessage()
              + "): set database.tls.key-password to the password of the file (PgJDBC takes"
              + " the same password for the file and its key)",
          e);
    }
    try {
      if (!store.isKeyEntry(PKCS12_ALIAS)) {
        throw new IllegalArgumentException(
            "database.tls.key "
                + key
                + " holds no key named '"
                + PKCS12_ALIAS
                + "', the only entry PgJDBC reads from a PKCS#12 file: export it with 'openssl"
                + " pkcs12 -export -name user -in client.pem -inkey client.key -out client.p12'");
      }
    } catch (KeyStoreException e) {
      throw new IllegalStateException("a loaded key store refused a look-up", e);
    }
  }

  /** Whether a file begins as PEM does; an unreadable file is left to the driver's message. */
  private static boolean isPem(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] head = in.readNBytes(64);
      return new String(head, StandardCharsets.US_ASCII).stripLeading().startsWith("-----BEGIN");
    } catch (IOException e) {
      return false;
    }
  }
}
