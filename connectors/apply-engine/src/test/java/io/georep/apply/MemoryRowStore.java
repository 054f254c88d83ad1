package io.georep.apply;

import io.georep.connector.RowKey;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.connector.spi.ApplyRetryException;
import io.georep.resolver.RowState;
import io.georep.resolver.TablePolicy;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.VersionVector;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * A row store over an in-memory database: what the engine needs from a database, and nothing else.
 * Each table row carries a version, bumped by every write; the metadata remembers the version the
 * applier last synchronised, so a local write ({@link Database#localWrite}) is a version the
 * applier did not write.
 */
final class MemoryRowStore implements RowStore<MemoryRowStore.Row> {
  /** The database: table rows, their writers, metadata and unique constraints. */
  static final class Database {
    final Map<TableId, Map<RowKey, Map<String, Value>>> tables = new HashMap<>();
    final Map<List<Object>, Long> versions = new HashMap<>();
    final Map<List<Object>, LocalStamp> localWriters = new HashMap<>();
    final Map<List<Object>, LocalStamp> localDeletes = new HashMap<>();
    final Map<List<Object>, Meta> meta = new HashMap<>();
    final Map<TableId, Map<String, List<String>>> uniques = new HashMap<>();
    long nextVersion = 1;

    Map<RowKey, Map<String, Value>> table(TableId id) {
      return tables.computeIfAbsent(id, t -> new LinkedHashMap<>());
    }

    /** An application in this region writes a row (its transaction stamped as given). */
    void localWrite(TableId table, RowKey key, Map<String, Value> values, LocalStamp stamp) {
      table(table).put(key, new LinkedHashMap<>(values));
      long v = nextVersion++;
      versions.put(List.of(table, key), v);
      localWriters.put(List.of(table, key, v), stamp);
    }

    /** An application in this region deletes a row. */
    void localDelete(TableId table, RowKey key, LocalStamp stamp) {
      table(table).remove(key);
      versions.remove(List.of(table, key));
      localDeletes.put(List.of(table, key), stamp);
    }
  }

  /** A row's stored metadata. */
  record Meta(
      RowState state, boolean suppressed, Dot lastDot, HybridTimestamp lastTs, Long synced) {}

  /** A locked row. */
  static final class Row extends ApplyRow {
    long version;
    Long synced;

    Row(TableSchema table, RowKey key) {
      super(table, key);
    }
  }

  private final Database db;
  private final Function<TableSchema, TablePolicy> policies;
  private final Map<List<Object>, Row> rows = new LinkedHashMap<>();

  MemoryRowStore(Database db, Function<TableSchema, TablePolicy> policies) {
    this.db = db;
    this.policies = policies;
  }

  /** Commits: writes the metadata of the rows whose state changed. */
  void commit() {
    for (Row r : rows.values()) {
      if (r.dirty() && r.state() != null) {
        db.meta.put(
            List.of(r.table().id(), r.key()),
            new Meta(r.state(), r.suppressed(), r.lastDot(), r.lastTimestamp(), r.synced));
      }
    }
  }

  @Override
  public Row row(TableSchema table, RowKey key) {
    return rows.computeIfAbsent(
        List.of(table.id(), key),
        k -> {
          Row r = new Row(table, key);
          Meta m = db.meta.get(k);
          if (m != null) {
            r.load(m.state(), m.suppressed(), m.lastDot(), m.lastTs(), false);
            r.synced = m.synced();
          }
          Map<String, Value> values = db.table(table.id()).get(key);
          if (values != null) {
            r.loadValues(Optional.of(new LinkedHashMap<>(values)));
            r.version = db.versions.get(k);
          }
          return r;
        });
  }

  @Override
  public boolean synchronised(Row row) {
    return row.synced != null && row.synced == row.version;
  }

  @Override
  public LocalStamp localWrite(Row row) {
    LocalStamp stamp =
        row.values().isPresent()
            ? db.localWriters.get(List.of(row.table().id(), row.key(), row.version))
            : db.localDeletes.get(List.of(row.table().id(), row.key()));
    if (stamp == null) {
      throw new ApplyRetryException(
          ApplyRetryException.Reason.STAMP_PENDING, "no stamp for " + row.key(), null);
    }
    return stamp;
  }

  @Override
  public void markSynchronised(Row row) {
    row.synced = row.values().isPresent() ? row.version : null;
  }

  @Override
  public Map<String, List<String>> uniques(TableSchema table) {
    return db.uniques.getOrDefault(table.id(), Map.of());
  }

  @Override
  public String insert(Row row, List<String> columns, List<Value> values) {
    Map<String, Value> now = new LinkedHashMap<>();
    for (int i = 0; i < columns.size(); i++) {
      now.put(columns.get(i), values.get(i));
    }
    return write(row, now);
  }

  @Override
  public String update(Row row, List<String> columns, List<Value> values) {
    Map<String, Value> now = new LinkedHashMap<>(db.table(row.table().id()).get(row.key()));
    for (int i = 0; i < columns.size(); i++) {
      now.put(columns.get(i), values.get(i));
    }
    return write(row, now);
  }

  private String write(Row row, Map<String, Value> now) {
    for (Map.Entry<String, List<String>> u : uniques(row.table()).entrySet()) {
      if (clash(row, u.getValue(), now).isPresent()) {
        return u.getKey();
      }
    }
    db.table(row.table().id()).put(row.key(), now);
    row.version = db.nextVersion++;
    db.versions.put(List.of(row.table().id(), row.key()), row.version);
    row.synced = row.version;
    return null;
  }

  private Optional<RowKey> clash(Row row, List<String> columns, Map<String, Value> values) {
    for (Map.Entry<RowKey, Map<String, Value>> other : db.table(row.table().id()).entrySet()) {
      if (other.getKey().equals(row.key())) {
        continue;
      }
      boolean same = true;
      for (String c : columns) {
        same &= values.get(c) != null && values.get(c).equals(other.getValue().get(c));
      }
      if (same) {
        return Optional.of(other.getKey());
      }
    }
    return Optional.empty();
  }

  @Override
  public void delete(Row row) {
    db.table(row.table().id()).remove(row.key());
    db.versions.remove(List.of(row.table().id(), row.key()));
    row.synced = null;
  }

  @Override
  public void flush() {
    // Writes are immediate.
  }

  @Override
  public Optional<RowKey> clashingRow(Row row, String constraint, Map<String, Value> values) {
    return clash(row, uniques(row.table()).get(constraint), values);
  }

  @Override
  public List<ForeignKey> foreignKeys(TableSchema table, boolean referencing) {
    return List.of();
  }

  @Override
  public Optional<ParentRule.DeletedParent> deletedParent(
      ForeignKey fk, TableSchema parent, Map<String, Value> childRow, VersionVector context) {
    return Optional.empty();
  }

  @Override
  public List<RowKey> children(ForeignKey fk, TableSchema child, Map<String, Value> parentRow) {
    return new ArrayList<>();
  }

  TablePolicy policy(TableSchema table) {
    return policies.apply(table);
  }
}
