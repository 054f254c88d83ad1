package io.georep.connectors.postgres.internal.capture;

import io.georep.connectors.postgres.CaptureUnavailableException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What pgoutput's {@code Relation} and {@code Type} messages do not say, read from {@code
 * pg_catalog} over a regular connection: type names by oid (domains resolved to their base type),
 * column nullability and primary key order. Type names are cached for the source's life; relation
 * details are read when a {@code Relation} message arrives (after DDL the server sends a new one).
 * Confined to the capture thread.
 */
public class CatalogLookup {

  /** A table's catalog details. */
  public record RelationDetails(Set<String> notNullColumns, List<String> primaryKey) {
    /** Copies the collections. */
    public RelationDetails {
      notNullColumns = Set.copyOf(notNullColumns);
      primaryKey = List.copyOf(primaryKey);
    }
  }

  private final Connection connection;
  private final Map<Integer, String> typeNames = new HashMap<>();

  /**
   * Creates a lookup over a regular connection.
   *
   * @param connection the connection; in auto-commit mode; owned by the caller
   */
  public CatalogLookup(Connection connection) {
    this.connection = connection;
  }

  /**
   * Returns the catalog name of a type, the base type's for a domain.
   *
   * @param oid the type oid
   * @return the name, such as {@code int4} or {@code _text}
   */
  public String typeName(int oid) {
    String cached = typeNames.get(oid);
    if (cached != null) {
      return cached;
    }
    try (PreparedStatement query =
        connection.prepareStatement(
            "SELECT coalesce(b.typname, t.typname) FROM pg_catalog.pg_type t"
                + " LEFT JOIN pg_catalog.pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype"
                + " WHERE t.oid = ?")) {
      query.setLong(1, Integer.toUnsignedLong(oid));
      try (ResultSet rs = query.executeQuery()) {
        String name = rs.next() ? rs.getString(1) : "oid" + Integer.toUnsignedString(oid);
        typeNames.put(oid, name);
        return name;
      }
    } catch (SQLException e) {
      throw new CaptureUnavailableException(
          "cannot read type " + Integer.toUnsignedString(oid) + " from pg_type", e);
    }
  }

  /**
   * Returns the nullability and primary key of a table.
   *
   * @param relationOid the table's oid
   * @return the details; empty collections if the table is gone
   */
  public RelationDetails relation(int relationOid) {
    try {
      Set<String> notNull = new HashSet<>();
      try (PreparedStatement query =
          connection.prepareStatement(
              "SELECT attname FROM pg_catalog.pg_attribute"
                  + " WHERE attrelid = ? AND attnum > 0 AND NOT attisdropped AND attnotnull")) {
        query.setLong(1, Integer.toUnsignedLong(relationOid));
        try (ResultSet rs = query.executeQuery()) {
          while (rs.next()) {
            notNull.add(rs.getString(1));
          }
        }
      }
      List<String> key = new ArrayList<>();
      try (PreparedStatement query =
          connection.prepareStatement(
              "SELECT a.attname FROM pg_catalog.pg_index i"
                  + " CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)"
                  + " JOIN pg_catalog.pg_attribute a"
                  + " ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
                  + " WHERE i.indrelid = ? AND i.indisprimary ORDER BY k.ord")) {
        query.setLong(1, Integer.toUnsignedLong(relationOid));
        try (ResultSet rs = query.executeQuery()) {
          while (rs.next()) {
            key.add(rs.getString(1));
          }
        }
      }
      return new RelationDetails(notNull, key);
    } catch (SQLException e) {
      throw new CaptureUnavailableException(
          "cannot read table " + Integer.toUnsignedString(relationOid) + " from pg_catalog", e);
    }
  }
}
