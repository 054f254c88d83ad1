package io.georep.connector;

/** Checks that strings can be encoded as UTF-8 without loss. */
final class Unicode {
  private Unicode() {}

  /**
   * Tells whether the string is well-formed UTF-16: every surrogate is part of a pair.
   *
   * @param s the string; never null
   * @return true if UTF-8 encoding and decoding reproduces the string exactly
   */
  static boolean isWellFormed(String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      char c = s.charAt(i);
      if (Character.isSurrogate(c)) {
        if (Character.isHighSurrogate(c)
            && i + 1 < n
            && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
        } else {
          return false;
        }
      }
    }
    return true;
  }

  /**
   * Checks an identifier: 1 to {@value TableId#MAX_LENGTH} characters, no U+0000, well-formed.
   *
   * @param what what the identifier names, for the message
   * @param value the identifier
   * @return the identifier
   */
  static String requireIdentifier(String what, String value) {
    if (value == null) {
      throw new NullPointerException(what);
    }
    if (value.isEmpty() || value.length() > TableId.MAX_LENGTH) {
      throw new IllegalArgumentException(
          what
              + " must have 1 to "
              + TableId.MAX_LENGTH
              + " characters, got "
              + value.length()
              + (value.isEmpty() ? "" : " ('" + value.substring(0, 32) + "...')"));
    }
    if (value.indexOf('\0') >= 0 || !isWellFormed(value)) {
      throw new IllegalArgumentException(
          what + " '" + value.replace('\0', '?') + "' contains U+0000 or an unpaired surrogate");
    }
    return value;
  }
}
