package io.georep.vectorclock;

import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The name of a replica: in georep, a region such as {@code us-east}.
 *
 * <p>Names are 1 to 64 characters of ASCII letters, digits, {@code .}, {@code _} and {@code -}, so
 * they can appear in topic names, metric tags and SQL identifiers unchanged. Replica ids are
 * ordered by their names; that order is the final tie-breaker of every deterministic decision.
 *
 * @param name the replica's name; never null
 */
public record ReplicaId(String name) implements Comparable<ReplicaId> {
  /** The longest name a replica may have, in characters. */
  public static final int MAX_LENGTH = 64;

  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

  /**
   * Validates the name.
   *
   * @throws IllegalArgumentException if the name is empty, longer than {@value #MAX_LENGTH} or has
   *     characters other than ASCII letters, digits, '.', '_' and '-'
   */
  public ReplicaId {
    Objects.requireNonNull(name, "name");
    if (!VALID.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "invalid replica id '"
              + name
              + "': use 1 to "
              + MAX_LENGTH
              + " characters from A-Z, a-z, 0-9, '.', '_' and '-' (for example 'us-east')");
    }
  }

  /**
   * Returns the replica id with the given name.
   *
   * @param name the replica's name; never null
   * @return the replica id
   * @throws IllegalArgumentException if the name is not valid
   */
  public static ReplicaId of(String name) {
    return new ReplicaId(name);
  }

  /**
   * Writes this id as a length-prefixed ASCII string.
   *
   * @param out the writer; never null
   */
  public void writeTo(CompactWriter out) {
    out.writeString(name);
  }

  /**
   * Reads an id written by {@link #writeTo}.
   *
   * @param in the reader; never null
   * @return the id
   * @throws MalformedEncodingException if the bytes are not a valid replica id
   */
  public static ReplicaId readFrom(CompactReader in) {
    int start = in.position();
    String name = in.readString("replica id", MAX_LENGTH);
    if (!VALID.matcher(name).matches()) {
      throw new MalformedEncodingException("invalid replica id", start);
    }
    return new ReplicaId(name);
  }

  @Override
  public int compareTo(ReplicaId other) {
    return name.compareTo(other.name);
  }

  @Override
  public String toString() {
    return name;
  }
}
