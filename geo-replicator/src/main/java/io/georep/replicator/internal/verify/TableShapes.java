package io.georep.replicator.internal.verify;

import io.georep.publication.BuiltInResolver;
import io.georep.publication.ColumnMask;
import io.georep.publication.ColumnResolver;
import io.georep.publication.TableRule;
import java.sql.SQLException;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads a published table's shape in every region, as its publication rule says to compare it. */
public final class TableShapes {
  private TableShapes() {}

  /**
   * Reads the table's shape in each region.
   *
   * @param regions the regions
   * @param rule the table's publication rule: its set columns, masks and column selection
   * @return the shape by region name; null values where the table is missing
   * @throws SQLException if a catalog cannot be read
   */
  public static Map<String, TableShape> read(List<Verifier.Region> regions, TableRule rule)
      throws SQLException {
    Set<String> sets = new HashSet<>();
    for (ColumnResolver c : rule.columnResolvers()) {
      boolean set =
          c.resolver()
              .builtIn()
              .map(
                  b ->
                      b == BuiltInResolver.OR_SET
                          || b == BuiltInResolver.G_SET
                          || b == BuiltInResolver.TWO_PHASE_SET)
              .orElse(false);
      if (set) {
        sets.add(c.column().name());
      }
    }
    Set<String> masked = new HashSet<>();
    for (ColumnMask m : rule.masks()) {
      masked.add(m.column().name());
    }
    Map<String, TableShape> out = new LinkedHashMap<>();
    for (Verifier.Region r : regions) {
      out.put(
          r.name(),
          TableShape.read(
              r.connection(),
              rule.table().schema(),
              rule.table().name(),
              sets,
              column -> rule.columns().selects(column) && !masked.contains(column)));
    }
    return out;
  }
}
