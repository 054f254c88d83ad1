package io.georep.benchmarks;

import java.nio.ByteBuffer;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.utils.BufferSupplier;
import org.apache.kafka.common.utils.CloseableIterator;

/**
 * The plain Avro rows of {@link AvroRowFormat}, one Kafka record each (no key, no headers), in one
 * Kafka record batch (magic v2) compressed with Kafka's own LZ4 ({@code compression.type=lz4} at
 * its default level, which uses the fast compressor), as a producer sends them and a broker stores
 * them.
 *
 * <p>Encoding Avro-encodes every row and appends it to a {@link MemoryRecordsBuilder}; decoding
 * validates the batch CRC (as a consumer does with the default {@code check.crcs=true}), iterates
 * the records with a streaming iterator and a reused decompression buffer (as a consumer does) and
 * Avro-decodes every value. The encoded size includes Kafka's batch header (61 bytes) and
 * per-record framing.
 */
final class KafkaLz4AvroFormat implements BatchFormat {
  private static final Compression LZ4 = Compression.lz4().build();

  private final AvroRowFormat.Rows rows = new AvroRowFormat.Rows();
  private final BufferSupplier decompressionBuffers = BufferSupplier.create();
  private final GenericRecord[] records;
  private final long[] timestamps;
  private final int initialCapacity;
  private final ByteBuffer encoded;

  KafkaLz4AvroFormat(CodecWorkload.Batch batch) {
    records = AvroRowFormat.records(batch.images());
    timestamps = new long[records.length];
    for (int i = 0; i < records.length; i++) {
      timestamps[i] = batch.images().get(i).transaction().commitMillis();
    }
    // Room for the whole compressed batch, as a producer's batch.size must be for one batch.
    initialCapacity = 64 * 1024;
    encoded = encode();
    if (!AvroRowFormat.sameRecords(decode(), records)) {
      throw new IllegalStateException("Kafka LZ4 batch does not round-trip");
    }
  }

  @Override
  public ByteBuffer encode() {
    MemoryRecordsBuilder builder =
        MemoryRecords.builder(
            ByteBuffer.allocate(initialCapacity), LZ4, TimestampType.CREATE_TIME, 0L);
    for (int i = 0; i < records.length; i++) {
      rows.write(records[i]);
      builder.append(timestamps[i], null, ByteBuffer.wrap(rows.buffer(), 0, rows.size()));
    }
    return builder.build().buffer();
  }

  @Override
  public GenericRecord[] decode() {
    GenericRecord[] out = new GenericRecord[records.length];
    int n = 0;
    for (MutableRecordBatch batch : MemoryRecords.readableRecords(encoded.duplicate()).batches()) {
      batch.ensureValid();
      try (CloseableIterator<Record> it = batch.streamingIterator(decompressionBuffers)) {
        while (it.hasNext()) {
          ByteBuffer value = it.next().value();
          if (value.hasArray()) {
            out[n++] =
                rows.read(value.array(), value.arrayOffset() + value.position(), value.remaining());
          } else {
            byte[] copy = new byte[value.remaining()];
            value.get(copy);
            out[n++] = rows.read(copy, 0, copy.length);
          }
        }
      }
    }
    if (n != out.length) {
      throw new IllegalStateException("decoded " + n + " of " + out.length + " records");
    }
    return out;
  }

  @Override
  public long encodedBytes() {
    return encoded.remaining();
  }
}
