package io.georep.client;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * What a session has written and seen, across regions: per region, a position in that region's
 * change stream (its WAL position, the {@code seq} georep gives that region's transactions). A
 * region has applied a token once its applied watermark of every other region named reaches the
 * token's position; {@code georep.wait_for(token)} waits for that in the database.
 *
 * <p>Tokens are version vectors: {@link #merge} takes the greater position per region, so merging
 * is commutative, associative and idempotent, and a session that wrote in two regions carries both.
 *
 * <p>Text form, the same as the SQL functions' ({@code georep.session_token()}): {@code g1.}
 * followed by the base64url (no padding) of {@code region:seq,region:seq} in region order, one
 * entry per region with a position above zero. Only letters, digits, {@code . - _} appear, so a
 * token passes through HTTP headers, cookies and URLs unescaped. Treat it as opaque: the format is
 * versioned by its prefix.
 */
public final class SessionToken {
  private static final String PREFIX = "g1.";
  private static final Pattern REGION = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern BODY = Pattern.compile("[A-Za-z0-9_-]*");
  private static final Pattern POSITION = Pattern.compile("[1-9][0-9]{0,18}");
  private static final SessionToken EMPTY = new SessionToken(new TreeMap<>());

  private final SortedMap<String, Long> positions;

  private SessionToken(SortedMap<String, Long> positions) {
    this.positions = Collections.unmodifiableSortedMap(positions);
  }

  /**
   * Returns the token that names nothing (every region has applied it).
   *
   * @return the empty token
   */
  public static SessionToken empty() {
    return EMPTY;
  }

  /**
   * Returns a token of the given positions; entries at zero or below are left out.
   *
   * @param positions per region name, its position
   * @return the token
   * @throws IllegalArgumentException if a region name is not a georep region name
   */
  public static SessionToken of(Map<String, Long> positions) {
    SortedMap<String, Long> copy = new TreeMap<>();
    positions.forEach(
        (region, position) -> {
          requireRegion(region);
          if (position != null && position > 0) {
            copy.put(region, position);
          }
        });
    return new SessionToken(copy);
  }

  /**
   * Parses the text form.
   *
   * @param text a token as {@link #toString} or {@code georep.session_token()} wrote it
   * @return the token
   * @throws IllegalArgumentException if the text is not a token, with what was expected
   */
  public static SessionToken parse(String text) {
    Objects.requireNonNull(text, "token");
    if (!text.startsWith(PREFIX) || !BODY.matcher(text.substring(PREFIX.length())).matches()) {
      throw malformed(text, "a token starts with g1. and goes on in base64url");
    }
    String payload;
    try {
      payload =
          new String(
              Base64.getUrlDecoder().decode(text.substring(PREFIX.length())),
              StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw malformed(text, "its base64url does not decode (" + e.getMessage() + ")");
    }
    SortedMap<String, Long> positions = new TreeMap<>();
    if (payload.isEmpty()) {
      return EMPTY;
    }
    for (String part : payload.split(",", -1)) {
      int sep = part.indexOf(':');
      if (sep < 1
          || !REGION.matcher(part.substring(0, sep)).matches()
          || !POSITION.matcher(part.substring(sep + 1)).matches()) {
        throw malformed(text, "entry \"" + abbreviate(part) + "\" is not region:seq");
      }
      long position;
      try {
        position = Long.parseLong(part.substring(sep + 1));
      } catch (NumberFormatException e) {
        throw malformed(text, "entry \"" + abbreviate(part) + "\" has a position out of range");
      }
      positions.merge(part.substring(0, sep), position, Math::max);
    }
    return new SessionToken(positions);
  }

  /**
   * Returns the union of this token and another: per region, the greater position.
   *
   * @param other the other token
   * @return the merged token
   */
  public SessionToken merge(SessionToken other) {
    SortedMap<String, Long> merged = new TreeMap<>(positions);
    other.positions.forEach((region, position) -> merged.merge(region, position, Math::max));
    return new SessionToken(merged);
  }

  /**
   * Returns whether this token names at least what another names (every region at least as far).
   *
   * @param other the other token
   * @return whether this token covers it
   */
  public boolean covers(SessionToken other) {
    for (Map.Entry<String, Long> e : other.positions.entrySet()) {
      if (positions.getOrDefault(e.getKey(), 0L) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns the positions, per region name, in region order.
   *
   * @return an unmodifiable view
   */
  public SortedMap<String, Long> positions() {
    return positions;
  }

  /** Returns the text form: {@code g1.} and the base64url of the entries. */
  @Override
  public String toString() {
    StringBuilder payload = new StringBuilder();
    positions.forEach(
        (region, position) -> {
          if (payload.length() > 0) {
            payload.append(',');
          }
          payload.append(region).append(':').append(position);
        });
    return PREFIX
        + Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(payload.toString().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SessionToken t && t.positions.equals(positions);
  }

  @Override
  public int hashCode() {
    return positions.hashCode();
  }

  private static void requireRegion(String region) {
    if (region == null || !REGION.matcher(region).matches()) {
      throw new IllegalArgumentException(
          "not a georep region name: \""
              + region
              + "\" (1 to 64 letters, digits, '.', '-' or '_')");
    }
  }

  private static IllegalArgumentException malformed(String text, String why) {
    return new IllegalArgumentException(
        "malformed georep session token \""
            + abbreviate(text)
            + "\": "
            + why
            + "; pass the text georep.session_token() returned, unchanged");
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "…";
  }
}
