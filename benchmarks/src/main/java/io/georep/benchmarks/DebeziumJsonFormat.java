package io.georep.benchmarks;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * A Debezium-style JSON change event per change, as Debezium's PostgreSQL connector with Kafka
 * Connect's {@code JsonConverter} ({@code schemas.enable=false}) ships it: {@code {"before": {...},
 * "after": {...}, "source": {...}, "op": "c"|"u", "ts_ms": ...}}, UTF-8, uncompressed.
 *
 * <p>{@code before} is null for an insert and the full old row for an update (what Debezium sends
 * for a table with {@code REPLICA IDENTITY FULL}); {@code source} holds {@code version}, {@code
 * connector}, {@code name}, {@code ts_ms}, {@code db}, {@code schema}, {@code table}, {@code txId}
 * and {@code lsn}. Column values follow Debezium's defaults except for {@code numeric}, sent as a
 * decimal string ({@code decimal.handling.mode=string}; the default would be base64 of the unscaled
 * bytes): {@code timestamptz} as an ISO-8601 string with microseconds, integers as numbers.
 *
 * <p>The in-memory form is a Jackson tree ({@link ObjectNode}) per change; decoding parses each
 * event back into a tree.
 */
final class DebeziumJsonFormat implements BatchFormat {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final DateTimeFormatter ISO = DateTimeFormatter.ISO_INSTANT;

  private final ObjectWriter writer = MAPPER.writer();
  private final ObjectReader reader = MAPPER.reader();
  private final ObjectNode[] events;
  private final byte[][] encoded;
  private final long encodedBytes;

  DebeziumJsonFormat(CodecWorkload.Batch batch) {
    events = events(batch.images());
    encoded = encode();
    long total = 0;
    for (byte[] e : encoded) {
      total += e.length;
    }
    encodedBytes = total;
    // Parsed numbers become int nodes where the tree held long nodes, so compare the bytes.
    JsonNode[] decoded = decode();
    try {
      for (int i = 0; i < decoded.length; i++) {
        if (!java.util.Arrays.equals(writer.writeValueAsBytes(decoded[i]), encoded[i])) {
          throw new IllegalStateException("JSON event " + i + " does not round-trip");
        }
      }
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static ObjectNode[] events(List<CodecWorkload.RowImages> images) {
    ObjectNode[] out = new ObjectNode[images.size()];
    for (int i = 0; i < out.length; i++) {
      CodecWorkload.RowImages change = images.get(i);
      CodecWorkload.Transaction tx = change.transaction();
      ObjectNode event = NODES.objectNode();
      if (change.isInsert()) {
        event.putNull("before");
      } else {
        event.set("before", row(change.before()));
      }
      event.set("after", row(change.after()));
      ObjectNode source = event.putObject("source");
      source.put("version", "2.7.3.Final");
      source.put("connector", "postgresql");
      source.put("name", "us-east");
      source.put("ts_ms", tx.commitMillis());
      source.put("db", "shop");
      source.put("schema", "public");
      source.put("table", "accounts");
      source.put("txId", tx.txId());
      source.put("lsn", tx.lsn());
      event.put("op", change.isInsert() ? "c" : "u");
      // Debezium's processing time: a few milliseconds after the commit.
      event.put("ts_ms", tx.commitMillis() + 3);
      out[i] = event;
    }
    return out;
  }

  private static ObjectNode row(CodecWorkload.Row r) {
    ObjectNode row = NODES.objectNode();
    row.put("id", r.id());
    row.put("name", r.name());
    row.put("email", r.email());
    row.put("visits", r.visits());
    row.put("balance", r.balance().toPlainString());
    row.put("updated_at", ISO.format(AvroRowFormat.instant(r.updatedAtMicros())));
    row.put("active", r.active());
    row.put("country", r.country());
    return row;
  }

  @Override
  public byte[][] encode() {
    byte[][] out = new byte[events.length][];
    try {
      for (int i = 0; i < events.length; i++) {
        out[i] = writer.writeValueAsBytes(events[i]);
      }
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  @Override
  public JsonNode[] decode() {
    JsonNode[] out = new JsonNode[encoded.length];
    try {
      for (int i = 0; i < encoded.length; i++) {
        out[i] = reader.readTree(encoded[i]);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  @Override
  public long encodedBytes() {
    return encodedBytes;
  }
}
