package io.georep.publication;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/**
 * Suggests the closest known name for a misspelt one, by optimal-string-alignment edit distance
 * (insertions, deletions, substitutions and swaps of adjacent characters each cost one).
 *
 * <p>A candidate is suggested only if it is close enough to be a plausible typo: at most one edit
 * for names of up to four characters, two up to eight, three beyond. Ties go to the candidate that
 * sorts first, so suggestions are deterministic. Stateless and thread-safe.
 */
public final class DidYouMean {

  private DidYouMean() {}

  /** Returns the closest plausible candidate to {@code name}, or empty if none is close. */
  public static Optional<String> suggest(String name, Collection<String> candidates) {
    String wanted = name.toLowerCase(Locale.ROOT);
    int limit = wanted.length() <= 4 ? 1 : wanted.length() <= 8 ? 2 : 3;
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String candidate : candidates.stream().sorted().toList()) {
      int distance = distance(wanted, candidate.toLowerCase(Locale.ROOT));
      if (distance < bestDistance && distance <= limit && !candidate.equals(name)) {
        best = candidate;
        bestDistance = distance;
      }
    }
    return Optional.ofNullable(best);
  }

  /**
   * Returns the fix text {@code did you mean 'x'?} for the closest candidate, or {@code otherwise}.
   */
  public static String fix(String name, Collection<String> candidates, String otherwise) {
    return suggest(name, candidates).map(s -> "did you mean '" + s + "'?").orElse(otherwise);
  }

  static int distance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1
            && j > 1
            && a.charAt(i - 1) == b.charAt(j - 2)
            && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }
}
