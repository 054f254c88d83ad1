package io.georep.cli.demo;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people type them on a command line: one or more whole numbers each followed by a
 * unit, largest first — {@code 500ms}, {@code 20s}, {@code 2m}, {@code 1m30s}, {@code 1h}.
 */
public final class Durations {
  /** The accepted form, for error messages. */
  public static final String FORM =
      "a number and a unit (ms, s, m, h), e.g. 20s, 2m, 1m30s or 500ms";

  private static final Pattern PART = Pattern.compile("(\\d{1,9})(ms|s|m|h)");
  private static final String[] UNITS = {"h", "m", "s", "ms"};

  private Durations() {}

  /**
   * Parses a duration.
   *
   * @param text the text, e.g. {@code 1m30s}
   * @return the duration
   * @throws IllegalArgumentException naming the text and the expected form if it is not one
   */
  public static Duration parse(String text) {
    if (text == null || text.isBlank()) {
      throw new IllegalArgumentException("a duration is missing; write " + FORM);
    }
    String s = text.strip().toLowerCase(Locale.ROOT);
    if (s.matches("\\d+")) {
      throw new IllegalArgumentException(
          "'" + text + "' has no unit; write " + FORM + " (" + s + "s for seconds)");
    }
    Matcher m = PART.matcher(s);
    Duration total = Duration.ZERO;
    int at = 0;
    int lastUnit = -1;
    while (at < s.length()) {
      if (!m.find(at) || m.start() != at) {
        throw new IllegalArgumentException("'" + text + "' is not a duration; write " + FORM);
      }
      int unit = List.of(UNITS).indexOf(m.group(2));
      if (unit <= lastUnit) {
        throw new IllegalArgumentException(
            "'" + text + "' repeats a unit or puts a smaller one first; write " + FORM);
      }
      lastUnit = unit;
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "h" -> Duration.ofHours(n);
                case "m" -> Duration.ofMinutes(n);
                case "s" -> Duration.ofSeconds(n);
                default -> Duration.ofMillis(n);
              });
      at = m.end();
    }
    return total;
  }

  /**
   * Formats a duration in the form {@link #parse} reads, e.g. {@code 1m30s} or {@code 500ms}.
   *
   * @param d the duration; not negative
   * @return the text
   */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    StringBuilder sb = new StringBuilder();
    long h = d.toHours();
    int m = d.toMinutesPart();
    int s = d.toSecondsPart();
    int ms = d.toMillisPart();
    if (h > 0) {
      sb.append(h).append('h');
    }
    if (m > 0) {
      sb.append(m).append('m');
    }
    if (s > 0) {
      sb.append(s).append('s');
    }
    if (ms > 0) {
      sb.append(ms).append("ms");
    }
    return sb.toString();
  }
}
