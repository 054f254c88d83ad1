package io.georep.publication;

import java.util.Objects;

/**
 * One thing wrong with a publication file: where it is, what is wrong, and how to fix it.
 *
 * <p>Rendered as {@code file:line:column: message — fix}. Messages never contain secret values
 * (mask salts taken from the environment are referred to by variable name only). Immutable and
 * thread-safe.
 *
 * @param position where the problem is, never null
 * @param message what is wrong, never null or blank
 * @param fix what to do about it, never null; empty when the message already says it
 */
public record Problem(SourcePosition position, String message, String fix)
    implements Comparable<Problem> {

  /**
   * Creates a problem.
   *
   * @throws NullPointerException if any argument is null
   * @throws IllegalArgumentException if {@code message} is blank
   */
  public Problem {
    Objects.requireNonNull(position, "position");
    Objects.requireNonNull(message, "message");
    Objects.requireNonNull(fix, "fix");
    if (message.isBlank()) {
      throw new IllegalArgumentException("a problem needs a message (at " + position + ")");
    }
  }

  /** Orders problems by position, then by message, so reports are stable. */
  @Override
  public int compareTo(Problem other) {
    int byPosition = position.compareTo(other.position);
    return byPosition != 0 ? byPosition : message.compareTo(other.message);
  }

  /** Returns {@code file:line:column: message — fix}, or without the dash part if no fix. */
  @Override
  public String toString() {
    return position + ": " + message + (fix.isEmpty() ? "" : " — " + fix);
  }
}
