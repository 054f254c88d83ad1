package io.georep.connector.spi;

import io.georep.vectorclock.GeorepException;

/**
 * A connection to the region's database failed for a reason retrying cannot fix: the database
 * refused the login (a wrong password, no {@code pg_hba.conf} entry, a client certificate it does
 * not accept), or TLS failed (the server's certificate is not signed by the configured root
 * certificate, does not name the host, or the server offers no TLS). Permanent: the component that
 * meets it stops instead of retrying forever, and the message names the setting to fix ({@code
 * database.password}, {@code database.tls.root-cert}, …). The message never holds a password.
 */
public class DatabaseRefusedException extends GeorepException {
  private static final long serialVersionUID = 1L;

  /**
   * Creates the exception.
   *
   * @param message what was refused, why, and which setting to fix; never null
   * @param cause the driver's failure; may be null
   */
  public DatabaseRefusedException(String message, Throwable cause) {
    super(message, cause);
  }
}
