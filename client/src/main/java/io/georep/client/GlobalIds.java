package io.georep.client;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;

/**
 * Global ids from {@code georep.next_id()}: 64 bits, never negative, of 41 bits of milliseconds
 * since {@link #EPOCH}, 10 bits of region number (the region's place in the agents' {@code regions}
 * list, from 1) and 12 bits of sequence. Unique across regions and restarts, and roughly ordered by
 * time: within a region an id is greater than every id issued before it.
 */
public final class GlobalIds {
  /** The start of the ids' time: 2026-01-01T00:00:00Z. */
  public static final Instant EPOCH = Instant.parse("2026-01-01T00:00:00Z");

  private GlobalIds() {}

  /**
   * Returns a new id from the region's database.
   *
   * @param connection a connection to a region's database
   * @return the id
   * @throws SQLException if the database refuses (no agent has run there yet)
   */
  public static long next(Connection connection) throws SQLException {
    try (PreparedStatement s = connection.prepareStatement("SELECT georep.next_id()");
        ResultSet rs = s.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Returns the time part of an id: when it was issued, or a little later when its region issued
   * more than 4,096 ids in a millisecond or its clock stepped back.
   *
   * @param id an id
   * @return the instant
   */
  public static Instant time(long id) {
    return EPOCH.plusMillis(id >>> 22);
  }

  /**
   * Returns the number of the region that issued an id.
   *
   * @param id an id
   * @return the region number, 1 to 1023
   */
  public static int region(long id) {
    return (int) ((id >>> 12) & 1023);
  }

  /**
   * Returns the sequence part of an id.
   *
   * @param id an id
   * @return 0 to 4095
   */
  public static int sequence(long id) {
    return (int) (id & 4095);
  }
}
