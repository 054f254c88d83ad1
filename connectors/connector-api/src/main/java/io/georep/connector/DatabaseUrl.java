package io.georep.connector;

import java.util.regex.Pattern;

/**
 * Shows a database's JDBC URL without its secrets: the one place every message, log line, {@code
 * toString()} and status page gets a printable database URL from, whichever connector the URL is
 * for.
 *
 * <p>Masked are the values of the {@code password} and {@code sslpassword} parameters (PgJDBC reads
 * both from the query string; any parameter whose name ends in {@code password} is masked, in any
 * letter case) and the password of a {@code user:password@host} part. PgJDBC itself does not accept
 * the {@code user:password@} form, but libpq does, so operators write it by habit; the URL is shown
 * in the very error that rejects it, so it is masked too. Thread-safe.
 */
public final class DatabaseUrl {

  /** What a masked secret is shown as. */
  public static final String MASK = "***";

  // A parameter value runs to the next '&', PgJDBC's only separator: a ';' or '#' in a password
  // belongs to the password and must not end the mask early.
  private static final Pattern PASSWORD_PARAMETER =
      Pattern.compile("(?i)([?&;][a-z_]*password=)[^&]*");
  // user:password@ right after "//"; greedy up to the last '@' before the path, so that a raw '@'
  // or ':' inside the password is masked with the rest of it.
  private static final Pattern USER_INFO = Pattern.compile("(//[^/?#@:]*:)[^/?#]*@");

  private DatabaseUrl() {}

  /**
   * Returns the URL with every password replaced by {@value #MASK}.
   *
   * @param url the URL as configured; may be null
   * @return the URL safe to show, or {@code "null"} for null
   */
  public static String masked(String url) {
    if (url == null) {
      return "null";
    }
    String withoutParameters = PASSWORD_PARAMETER.matcher(url).replaceAll("$1" + MASK);
    return USER_INFO.matcher(withoutParameters).replaceAll("$1" + MASK + "@");
  }
}
