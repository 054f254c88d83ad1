package io.georep.replicator.internal.http;

import com.sun.net.httpserver.Authenticator;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpPrincipal;
import io.georep.replicator.AgentSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.UnrecoverableKeyException;
import java.util.Base64;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * Who may use the agent's HTTP port: HTTPS from a PKCS#12 key store ({@code http.tls.*}) and the
 * token check ({@code http.token}).
 */
final class HttpAccess {
  private HttpAccess() {}

  /**
   * Builds the TLS context of {@code http.tls.keystore}.
   *
   * @param http the settings
   * @return the context
   * @throws IllegalArgumentException naming the setting when the file cannot be read or opened
   */
  static SSLContext tls(AgentSettings.Http http) {
    Path file = Path.of(http.tlsKeystore());
    char[] password =
        http.tlsKeystorePassword() == null ? new char[0] : http.tlsKeystorePassword().toCharArray();
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(in, password);
      KeyManagerFactory keys =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      keys.init(store, password);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys.getKeyManagers(), null, null);
      return context;
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(
          "http.tls.keystore " + file + " does not exist; give the path of a PKCS#12 file");
    } catch (IOException e) {
      boolean wrongPassword =
          e.getCause() instanceof UnrecoverableKeyException
              || String.valueOf(e.getMessage()).contains("password");
      throw new IllegalArgumentException(
          wrongPassword
              ? "http.tls.keystore "
                  + file
                  + " cannot be opened with http.tls.keystore-password: check the password"
              : "http.tls.keystore " + file + " cannot be read as PKCS#12: " + e.getMessage(),
          e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(
          "http.tls.keystore "
              + file
              + " holds no usable key (a private key with its certificate chain is needed): "
              + e.getMessage(),
          e);
    }
  }

  /**
   * Lets a request through when it carries the token: {@code Authorization: Bearer <token>}, or
   * HTTP Basic with the token as password (any user name), so that a browser can open the
   * dashboard. Compares in constant time. Otherwise 401 with both challenges.
   */
  static final class TokenCheck extends Authenticator {
    private final byte[] token;

    TokenCheck(String token) {
      this.token = token.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public Result authenticate(HttpExchange ex) {
      String header = ex.getRequestHeaders().getFirst("Authorization");
      if (header != null && matches(header)) {
        return new Success(new HttpPrincipal("token", "georep"));
      }
      ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"georep\"");
      ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"georep\", charset=\"UTF-8\"");
      return new Retry(401);
    }

    private boolean matches(String header) {
      byte[] given;
      if (header.regionMatches(true, 0, "Bearer ", 0, 7)) {
        given = header.substring(7).strip().getBytes(StandardCharsets.UTF_8);
      } else if (header.regionMatches(true, 0, "Basic ", 0, 6)) {
        String pair;
        try {
          pair =
              new String(
                  Base64.getDecoder().decode(header.substring(6).strip()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          return false;
        }
        given = pair.substring(pair.indexOf(':') + 1).getBytes(StandardCharsets.UTF_8);
      } else {
        return false;
      }
      return MessageDigest.isEqual(given, token);
    }
  }
}
