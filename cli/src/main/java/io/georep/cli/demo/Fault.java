package io.georep.cli.demo;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scheduled fault of the demo: {@code cut:<region>@<start>+<length>} cuts the region's agent off
 * from Kafka (every connection through its proxy is closed and new ones are refused) {@code start}
 * after the write load begins, for {@code length}; then the link heals and the region catches up.
 * The region keeps accepting local writes throughout, as a partitioned region would.
 *
 * @param region the region cut off
 * @param start when the cut begins, measured from the start of the write load
 * @param length how long it lasts; positive
 */
public record Fault(String region, Duration start, Duration length) {
  /** The accepted form, for error messages. */
  public static final String FORM = "cut:<region>@<start>+<length>, e.g. cut:us-east@20s+15s";

  private static final Pattern SPEC = Pattern.compile("([a-z]+):([^@]*)@([^+]*)\\+(.*)");

  /**
   * Validates the fault.
   *
   * @throws IllegalArgumentException if a part is missing or the length is not positive
   */
  public Fault {
    Objects.requireNonNull(region, "region");
    Objects.requireNonNull(start, "start");
    Objects.requireNonNull(length, "length");
    if (start.isNegative()) {
      throw new IllegalArgumentException("a fault cannot start before the load: " + start);
    }
    if (length.isNegative() || length.isZero()) {
      throw new IllegalArgumentException("a fault must last a positive time: " + length);
    }
  }

  /**
   * Parses a fault specification.
   *
   * @param spec the text, e.g. {@code cut:us-east@20s+15s}
   * @return the fault
   * @throws IllegalArgumentException naming the text, the bad part and the expected form
   */
  public static Fault parse(String spec) {
    if (spec == null || spec.isBlank()) {
      throw new IllegalArgumentException("a fault is empty; write " + FORM);
    }
    Matcher m = SPEC.matcher(spec.strip());
    if (!m.matches()) {
      throw new IllegalArgumentException("'" + spec + "' is not a fault; write " + FORM);
    }
    if (!m.group(1).equals("cut")) {
      throw new IllegalArgumentException(
          "'"
              + spec
              + "' names the fault kind '"
              + m.group(1)
              + "', but the only kind is 'cut'; write "
              + FORM);
    }
    String region = m.group(2);
    if (!region.matches("[a-z][a-z0-9-]*")) {
      throw new IllegalArgumentException(
          "'" + spec + "' names no valid region before '@'; write " + FORM);
    }
    Duration start;
    Duration length;
    try {
      start = Durations.parse(m.group(3));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "'" + spec + "' has a bad start: " + e.getMessage() + "; the whole form is " + FORM, e);
    }
    try {
      length = Durations.parse(m.group(4));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "'" + spec + "' has a bad length: " + e.getMessage() + "; the whole form is " + FORM, e);
    }
    if (length.isZero()) {
      throw new IllegalArgumentException(
          "'" + spec + "' lasts no time; give a positive length, " + FORM);
    }
    return new Fault(region, start, length);
  }

  /**
   * Returns when the fault heals, measured from the start of the write load.
   *
   * @return start plus length
   */
  public Duration end() {
    return start.plus(length);
  }

  /** Returns the specification, in the form {@link #parse} reads. */
  @Override
  public String toString() {
    return "cut:" + region + "@" + Durations.format(start) + "+" + Durations.format(length);
  }
}
