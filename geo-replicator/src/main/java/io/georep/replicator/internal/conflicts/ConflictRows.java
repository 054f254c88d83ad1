package io.georep.replicator.internal.conflicts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.georep.connector.spi.LoggedConflict;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How {@code georep conflicts} and {@code /api/conflicts} show a conflict-log row: a JSON object
 * (the same fields in both), a CSV record, or a line of text with both versions side by side.
 */
public final class ConflictRows {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The CSV header, the fields of {@link #csv}. */
  public static final String CSV_HEADER =
      "id,detected_at,conflict_id,type,table,key,resolver,winner,columns,local,remote,kept_loser";

  private ConflictRows() {}

  /**
   * Returns a row as a JSON object: {@code id, detectedAt, conflictId, type, table, key, resolver,
   * winner, columns, local, remote, keptLoser}, the versions and the key as JSON, not strings.
   *
   * @param c the row
   * @return the object, for Jackson
   */
  public static Map<String, Object> json(LoggedConflict c) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", c.id());
    m.put("detectedAt", c.detectedAt().toString());
    m.put("conflictId", c.conflictId());
    m.put("type", c.type());
    m.put("table", c.table().toString());
    m.put("key", tree(c.key()));
    m.put("resolver", c.resolver());
    m.put("winner", c.winner());
    m.put("columns", c.columns());
    m.put("local", tree(c.local()));
    m.put("remote", tree(c.remote()));
    m.put("keptLoser", c.keptLoser().map(ConflictRows::tree).orElse(null));
    return m;
  }

  /**
   * Returns a row as one JSON line.
   *
   * @param c the row
   * @return the line, without a terminator
   */
  public static String jsonLine(LoggedConflict c) {
    try {
      return JSON.writeValueAsString(json(c));
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Returns a row as a CSV record (RFC 4180: fields with commas, quotes or line breaks quoted); the
   * key, the columns and the versions as JSON.
   *
   * @param c the row
   * @return the record, without a terminator
   */
  public static String csv(LoggedConflict c) {
    List<String> fields =
        List.of(
            Long.toString(c.id()),
            c.detectedAt().toString(),
            c.conflictId(),
            c.type(),
            c.table().toString(),
            c.key(),
            c.resolver(),
            c.winner(),
            write(c.columns()),
            c.local(),
            c.remote(),
            c.keptLoser().orElse(""));
    StringBuilder sb = new StringBuilder();
    for (String f : fields) {
      if (sb.length() > 0) {
        sb.append(',');
      }
      if (f.indexOf(',') >= 0
          || f.indexOf('"') >= 0
          || f.indexOf('\n') >= 0
          || f.indexOf('\r') >= 0) {
        sb.append('"').append(f.replace("\"", "\"\"")).append('"');
      } else {
        sb.append(f);
      }
    }
    return sb.toString();
  }

  /**
   * Returns a row as text: a head line (id, time, type, table, key, winner, resolver, columns) and
   * one line for each version, the winner's marked.
   *
   * @param c the row
   * @return the lines, joined with line breaks, without a terminator
   */
  public static String text(LoggedConflict c) {
    StringBuilder sb = new StringBuilder();
    sb.append('#')
        .append(c.id())
        .append("  ")
        .append(c.detectedAt())
        .append("  ")
        .append(c.type())
        .append("  ")
        .append(c.table())
        .append(' ')
        .append(c.key())
        .append("  winner ")
        .append(c.winner())
        .append(" by ")
        .append(c.resolver());
    if (!c.columns().isEmpty()) {
      sb.append("  columns ").append(String.join(", ", c.columns()));
    }
    sb.append('\n')
        .append(version(c.winner().equals("local") ? "* local " : "  local ", c.local()));
    sb.append('\n')
        .append(version(c.winner().equals("remote") ? "* remote" : "  remote", c.remote()));
    c.keptLoser().ifPresent(k -> sb.append('\n').append(version("  kept  ", k)));
    return sb.toString();
  }

  private static String version(String label, String json) {
    JsonNode v = tree(json);
    return label
        + "  "
        + v.path("kind").asText()
        + " "
        + v.path("dot").asText()
        + " at "
        + java.time.Instant.ofEpochMilli(v.path("hlc").path("wall").asLong())
        + (v.path("hlc").path("logical").asInt() > 0
            ? "+" + v.path("hlc").path("logical").asInt()
            : "")
        + "  "
        + v.path("values");
  }

  private static JsonNode tree(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(
          "the conflict log holds JSON that does not parse: " + json, e);
    }
  }

  private static String write(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }
}
