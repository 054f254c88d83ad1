package io.georep.publication;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.function.Function;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * How a column's value is disguised before it leaves the region; the agent applies masks, never the
 * database. Immutable and thread-safe.
 *
 * <p>Masks are deterministic: the same value gives the same masked value in every region and on
 * every run (given the same salt), so masked columns still join and group.
 */
public sealed interface Mask {

  /** Returns the mask kind as publication files name it. */
  String kind();

  /**
   * Returns the masked form of {@code value}; NULL stays NULL.
   *
   * @param value the column value, may be null
   * @param environment looks up environment variables for salts ({@code System::getenv} fits)
   * @throws IllegalStateException if a salt's environment variable is unset
   */
  Object apply(Object value, Function<String, String> environment);

  /** Returns whether the masked value is text (so the column must be a text column). */
  default boolean producesText() {
    return true;
  }

  /**
   * HMAC-SHA-256 of the value's text, keyed by the salt, as 64 lower-case hex digits.
   *
   * @param salt the key, never null
   */
  record Hash(Secret salt) implements Mask {
    /** Checks the salt. */
    public Hash {
      Objects.requireNonNull(salt, "salt");
    }

    @Override
    public String kind() {
      return "hash";
    }

    @Override
    public Object apply(Object value, Function<String, String> environment) {
      if (value == null) {
        return null;
      }
      try {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(
            new SecretKeySpec(
                salt.reveal(environment).getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        return HexFormat.of().formatHex(mac.doFinal(text(value).getBytes(StandardCharsets.UTF_8)));
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("HmacSHA256 is unavailable in this JVM", e);
      }
    }
  }

  /**
   * Replaces the value with a fixed text.
   *
   * @param replacement the text, never null
   */
  record Redact(String replacement) implements Mask {
    /** The replacement used when the file gives none. */
    public static final String DEFAULT_REPLACEMENT = "****";

    /** Checks the replacement. */
    public Redact {
      Objects.requireNonNull(replacement, "replacement");
    }

    @Override
    public String kind() {
      return "redact";
    }

    @Override
    public Object apply(Object value, Function<String, String> environment) {
      return value == null ? null : replacement;
    }
  }

  /** Replaces the value with NULL (the column must be nullable). */
  record Nullify() implements Mask {
    @Override
    public String kind() {
      return "null";
    }

    @Override
    public Object apply(Object value, Function<String, String> environment) {
      return null;
    }

    @Override
    public boolean producesText() {
      return false;
    }
  }

  /**
   * Keeps the first {@code count} characters and replaces the rest with {@code *}, keeping the
   * length.
   *
   * @param count characters kept, at least 0
   */
  record KeepFirst(int count) implements Mask {
    /**
     * Checks the count.
     *
     * @throws IllegalArgumentException if {@code count} is negative
     */
    public KeepFirst {
      if (count < 0) {
        throw new IllegalArgumentException("keep-first count must be 0 or more, got " + count);
      }
    }

    @Override
    public String kind() {
      return "keep-first";
    }

    @Override
    public Object apply(Object value, Function<String, String> environment) {
      return value == null ? null : keep(text(value), count, true);
    }
  }

  /**
   * Keeps the last {@code count} characters and replaces the rest with {@code *}, keeping the
   * length.
   *
   * @param count characters kept, at least 0
   */
  record KeepLast(int count) implements Mask {
    /**
     * Checks the count.
     *
     * @throws IllegalArgumentException if {@code count} is negative
     */
    public KeepLast {
      if (count < 0) {
        throw new IllegalArgumentException("keep-last count must be 0 or more, got " + count);
      }
    }

    @Override
    public String kind() {
      return "keep-last";
    }

    @Override
    public Object apply(Object value, Function<String, String> environment) {
      return value == null ? null : keep(text(value), count, false);
    }
  }

  private static String text(Object value) {
    return value instanceof BigDecimal d ? d.toPlainString() : value.toString();
  }

  private static String keep(String text, int count, boolean first) {
    int[] codePoints = text.codePoints().toArray();
    StringBuilder out = new StringBuilder(text.length());
    for (int i = 0; i < codePoints.length; i++) {
      boolean kept = first ? i < count : i >= codePoints.length - count;
      out.appendCodePoint(kept ? codePoints[i] : '*');
    }
    return out.toString();
  }
}
