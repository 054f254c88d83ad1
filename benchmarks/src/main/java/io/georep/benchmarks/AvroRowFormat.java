package io.georep.benchmarks;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import org.apache.avro.Conversions;
import org.apache.avro.Schema;
import org.apache.avro.data.TimeConversions;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;

/**
 * Plain Avro, as a row-image-based tool ships a change: one binary-encoded {@link GenericRecord} of
 * the full row after the change per change (one Kafka record value each), without compression and
 * without any envelope or schema-registry prefix.
 *
 * <p>The in-memory form is a {@link GenericRecord} per change holding Java values ({@code String},
 * {@code BigDecimal} for {@code numeric(12,2)} as Avro {@code decimal(12,2)} bytes, {@code Instant}
 * for {@code timestamptz} as {@code timestamp-micros}), through Avro's logical-type conversions, so
 * a decoded record holds the same Java types as georep's decoded values.
 */
final class AvroRowFormat implements BatchFormat {
  static final Schema SCHEMA =
      new Schema.Parser()
          .parse(
              """
              {"type": "record", "name": "Value", "namespace": "us_east.public.accounts",
               "fields": [
                 {"name": "id", "type": "long"},
                 {"name": "name", "type": {"type": "string", "avro.java.string": "String"}},
                 {"name": "email", "type": {"type": "string", "avro.java.string": "String"}},
                 {"name": "visits", "type": "long"},
                 {"name": "balance",
                  "type": {"type": "bytes", "logicalType": "decimal", "precision": 12, "scale": 2}},
                 {"name": "updated_at", "type": {"type": "long", "logicalType": "timestamp-micros"}},
                 {"name": "active", "type": "boolean"},
                 {"name": "country", "type": {"type": "string", "avro.java.string": "String"}}
               ]}
              """);

  private final Rows rows = new Rows();
  private final GenericRecord[] records;
  private final byte[][] encoded;
  private final long encodedBytes;

  AvroRowFormat(CodecWorkload.Batch batch) {
    records = records(batch.images());
    encoded = encode();
    long total = 0;
    for (byte[] e : encoded) {
      total += e.length;
    }
    encodedBytes = total;
    if (!sameRecords(decode(), records)) {
      throw new IllegalStateException("Avro rows do not round-trip");
    }
  }

  /** The after images of a batch as records. */
  static GenericRecord[] records(List<CodecWorkload.RowImages> images) {
    GenericRecord[] out = new GenericRecord[images.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = record(images.get(i).after());
    }
    return out;
  }

  private static GenericRecord record(CodecWorkload.Row row) {
    GenericData.Record r = new GenericData.Record(SCHEMA);
    r.put(0, row.id());
    r.put(1, row.name());
    r.put(2, row.email());
    r.put(3, row.visits());
    r.put(4, row.balance());
    r.put(5, instant(row.updatedAtMicros()));
    r.put(6, row.active());
    r.put(7, row.country());
    return r;
  }

  static Instant instant(long epochMicros) {
    return Instant.ofEpochSecond(
        Math.floorDiv(epochMicros, 1_000_000L), Math.floorMod(epochMicros, 1_000_000L) * 1000L);
  }

  /** Field-wise equality (Avro's own record equality cannot compare logical-type values). */
  static boolean sameRecords(GenericRecord[] a, GenericRecord[] b) {
    if (a.length != b.length) {
      return false;
    }
    for (int i = 0; i < a.length; i++) {
      for (int f = 0; f < SCHEMA.getFields().size(); f++) {
        if (!a[i].get(f).equals(b[i].get(f))) {
          return false;
        }
      }
    }
    return true;
  }

  @Override
  public byte[][] encode() {
    byte[][] out = new byte[records.length][];
    for (int i = 0; i < records.length; i++) {
      rows.write(records[i]);
      out[i] = rows.toByteArray();
    }
    return out;
  }

  @Override
  public GenericRecord[] decode() {
    GenericRecord[] out = new GenericRecord[encoded.length];
    for (int i = 0; i < encoded.length; i++) {
      out[i] = rows.read(encoded[i], 0, encoded[i].length);
    }
    return out;
  }

  @Override
  public long encodedBytes() {
    return encodedBytes;
  }

  /**
   * Writes and reads single rows with reused encoder, decoder and output buffer, as a Kafka
   * serializer does. Not thread-safe.
   */
  static final class Rows {
    private static final GenericData MODEL = new GenericData();

    static {
      MODEL.addLogicalTypeConversion(new Conversions.DecimalConversion());
      MODEL.addLogicalTypeConversion(new TimeConversions.TimestampMicrosConversion());
    }

    private final GenericDatumWriter<GenericRecord> writer =
        new GenericDatumWriter<>(SCHEMA, MODEL);
    private final GenericDatumReader<GenericRecord> reader =
        new GenericDatumReader<>(SCHEMA, SCHEMA, MODEL);
    private final Output out = new Output();
    private BinaryEncoder encoder;
    private BinaryDecoder decoder;

    /** Encodes a record into the reused buffer, replacing what it held. */
    void write(GenericRecord record) {
      out.reset();
      encoder = EncoderFactory.get().binaryEncoder(out, encoder);
      try {
        writer.write(record, encoder);
        encoder.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    byte[] toByteArray() {
      return out.toByteArray();
    }

    byte[] buffer() {
      return out.buffer();
    }

    int size() {
      return out.size();
    }

    GenericRecord read(byte[] bytes, int offset, int length) {
      decoder = DecoderFactory.get().binaryDecoder(bytes, offset, length, decoder);
      try {
        return reader.read(null, decoder);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** A byte output whose buffer can be read without a copy. */
  private static final class Output extends ByteArrayOutputStream {
    Output() {
      super(256);
    }

    byte[] buffer() {
      return buf;
    }
  }
}
