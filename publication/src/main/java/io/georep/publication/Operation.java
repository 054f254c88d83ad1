package io.georep.publication;

import java.util.Locale;

/** A kind of row change a publication replicates; named in files in lower case. */
public enum Operation {
  /** New rows. */
  INSERT,
  /** Changed rows. */
  UPDATE,
  /** Removed rows. */
  DELETE,
  /** Emptied tables. */
  TRUNCATE;

  /** Returns the name used in publication files and in PostgreSQL's {@code publish} option. */
  public String fileName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
