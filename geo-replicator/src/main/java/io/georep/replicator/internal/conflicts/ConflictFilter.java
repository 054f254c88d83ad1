package io.georep.replicator.internal.conflicts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import io.georep.connector.spi.ConflictQuery;
import io.georep.replicator.AgentKeys;
import io.georep.resolver.ConflictType;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Turns the filter of {@code georep conflicts} and {@code /api/conflicts} (the same words in both)
 * into a {@link ConflictQuery}, with a message naming the option for every bad value.
 */
public final class ConflictFilter {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern TABLE =
      Pattern.compile("[A-Za-z_][A-Za-z0-9_$]*(\\.[A-Za-z_][A-Za-z0-9_$]*)?");

  /** The rows returned when no limit is given. */
  public static final int DEFAULT_LIMIT = 100;

  private ConflictFilter() {}

  /**
   * Builds a query from the filter's words.
   *
   * @param table {@code schema.table} or a bare table name, or null
   * @param types conflict type tags, comma-separated, or null
   * @param since an instant ({@code 2026-12-07T10:00:00Z}) or an age ({@code 15m}, {@code 2h},
   *     {@code 7d}: that long before {@code now}), or null
   * @param until the same forms, or null
   * @param key the row's key: a JSON array ({@code [42]}, {@code ["a", 1]}) or one value ({@code
   *     42}, {@code abc}), or null
   * @param after only rows with a greater id
   * @param limit the most rows, or null for {@value #DEFAULT_LIMIT}
   * @param latest whether the last {@code limit} rows are wanted rather than the first
   * @param now the time ages count back from
   * @return the query
   * @throws IllegalArgumentException naming the option and its value, with the accepted forms
   */
  public static ConflictQuery of(
      String table,
      String types,
      String since,
      String until,
      String key,
      long after,
      Integer limit,
      boolean latest,
      Instant now) {
    Optional<String> t = Optional.empty();
    if (table != null && !table.isBlank()) {
      if (!TABLE.matcher(table.strip()).matches()) {
        throw new IllegalArgumentException(
            "table '" + table + "' is not a table name: write schema.table or table");
      }
      t = Optional.of(table.strip());
    }
    List<String> tags = new ArrayList<>();
    if (types != null && !types.isBlank()) {
      List<String> known = new ArrayList<>();
      for (ConflictType c : ConflictType.values()) {
        known.add(c.tag());
      }
      for (String tag : types.split(",", -1)) {
        String s = tag.strip();
        if (!known.contains(s)) {
          throw new IllegalArgumentException(
              "type '" + s + "' is not a conflict type; the types are " + String.join(", ", known));
        }
        tags.add(s);
      }
    }
    if (after < 0) {
      throw new IllegalArgumentException("after must be 0 or more, got " + after);
    }
    int n = limit == null ? DEFAULT_LIMIT : limit;
    if (n < 1 || n > ConflictQuery.MAX_LIMIT) {
      throw new IllegalArgumentException(
          "limit must be between 1 and " + ConflictQuery.MAX_LIMIT + ", got " + n);
    }
    return new ConflictQuery(
        t, tags, time("since", since, now), time("until", until, now), key(key), after, n, latest);
  }

  private static Optional<Instant> time(String option, String text, Instant now) {
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    String s = text.strip();
    try {
      return Optional.of(OffsetDateTime.parse(s).toInstant());
    } catch (DateTimeParseException e) {
      // not an instant: an age?
    }
    try {
      return Optional.of(now.minus(AgentKeys.parseDuration(s)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          option
              + " '"
              + text
              + "' is neither an instant with an offset (2026-12-07T10:00:00Z) nor an age"
              + " (90s, 15m, 2h, 7d)",
          e);
    }
  }

  private static Optional<String> key(String text) {
    if (text == null || text.isBlank()) {
      return Optional.empty();
    }
    String s = text.strip();
    JsonNode node;
    try {
      node = JSON.readTree(s);
    } catch (JsonProcessingException e) {
      node = JsonNodeFactory.instance.textNode(s);
    }
    if (node == null || node.isMissingNode()) {
      node = JsonNodeFactory.instance.textNode(s);
    }
    if (node.isObject()) {
      throw new IllegalArgumentException(
          "key '" + text + "' is a JSON object: write the key's values, such as 42 or [\"eu\", 7]");
    }
    if (!node.isArray()) {
      node = JsonNodeFactory.instance.arrayNode().add(node);
    }
    return Optional.of(node.toString());
  }
}
