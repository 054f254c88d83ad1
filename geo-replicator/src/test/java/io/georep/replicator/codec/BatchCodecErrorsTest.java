package io.georep.replicator.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.ColumnSchema;
import io.georep.connector.RowChange;
import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.connector.Value;
import io.georep.replicator.codec.internal.EnvelopeAvro;
import io.georep.replicator.codec.internal.EnvelopeEncoder;
import io.georep.replicator.codec.internal.EnvelopeSchemas;
import io.georep.replicator.codec.internal.FrameFormat;
import io.georep.replicator.codec.internal.avro.Envelope;
import io.georep.replicator.codec.internal.avro.TableSection;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BatchCodecErrorsTest {
  private static final BatchCodec CODEC = BatchCodec.create();
  private static final ReplicaId US = ReplicaId.of("us-east");
  private static final TableSchema USERS =
      TableSchema.of(
          TableId.of("public", "users"),
          List.of(
              ColumnSchema.key("id", ScalarType.INT8, 1),
              ColumnSchema.of("name", ScalarType.TEXT, true)));
  private static final long CURRENT = EnvelopeSchemas.bundled().currentFingerprint();
  private static final String KNOWN =
      EnvelopeSchemas.bundled().known().stream()
          .sorted()
          .map(f -> String.format("0x%016x", f))
          .collect(java.util.stream.Collectors.joining(", "));

  private static WireBatch batch() {
    RowChange insert =
        new RowChange.Insert(USERS, Map.of("id", new Value.Int8(1), "name", new Value.Text("ann")));
    return WireBatch.of(
        new SourceTransaction(
            US,
            7,
            new HybridTimestamp(1_700_000_000_000L, 0, US),
            VersionVector.empty(),
            List.of(insert)));
  }

  private static byte[] frame() {
    return CODEC.encode(batch());
  }

  @Test
  void decode_validFrame_roundTrips() {
    assertThat(CODEC.decode(frame())).isEqualTo(batch());
  }

  @Test
  void decode_cutInsideHeader_truncatedFrame() {
    assertThatThrownBy(() -> CODEC.decode(Arrays.copyOf(frame(), 10)))
        .isInstanceOf(TruncatedFrameException.class)
        .hasMessage(
            "truncated frame: needs 28 bytes but has 10; the record was cut short in transit or"
                + " storage and must be re-produced by its origin");
  }

  @Test
  void decode_cutInsidePayload_truncatedFrameNamingBothSizes() {
    byte[] frame = frame();
    assertThatThrownBy(() -> CODEC.decode(Arrays.copyOf(frame, frame.length - 3)))
        .isInstanceOfSatisfying(
            TruncatedFrameException.class,
            e -> {
              assertThat(e.expectedBytes()).isEqualTo(frame.length);
              assertThat(e.actualBytes()).isEqualTo(frame.length - 3);
            })
        .hasMessageStartingWith(
            "truncated frame: needs " + frame.length + " bytes but has " + (frame.length - 3));
  }

  @Test
  void decode_empty_truncatedFrame() {
    assertThatThrownBy(() -> CODEC.decode(new byte[0]))
        .isInstanceOf(TruncatedFrameException.class)
        .hasMessageStartingWith("truncated frame: needs 28 bytes but has 0");
  }

  @Test
  void decode_wrongMagic_badMagic() {
    byte[] frame = frame();
    frame[0] = 'X';
    assertThatThrownBy(() -> CODEC.decode(frame))
        .isInstanceOf(BadMagicException.class)
        .hasMessage(
            "not a georep batch: expected magic 0x47525042 (\"GRPB\") but found 0x58525042;"
                + " check that the topic carries only georep batches");
  }

  @Test
  void decode_otherMajorVersion_unsupportedFormat() {
    byte[] frame = frame();
    frame[4] = 2;
    assertThatThrownBy(() -> CODEC.decode(frame))
        .isInstanceOf(UnsupportedFormatException.class)
        .hasMessage(
            "frame format version 2."
                + FrameFormat.MINOR
                + " is not readable by this agent, which reads format 1.x; run"
                + " the same major georep version in every region");
  }

  @Test
  void decode_unknownFlag_unsupportedFormat() {
    byte[] frame = frame();
    frame[6] = (byte) 0x80;
    assertThatThrownBy(() -> CODEC.decode(frame))
        .isInstanceOf(UnsupportedFormatException.class)
        .hasMessageStartingWith(
            "frame flags 0x80" + String.format("%02x", frame[7]) + " include bits this agent");
  }

  @Test
  void decode_hugeUncompressedLength_oversizeBeforeAllocating() {
    byte[] frame = frame();
    frame[16] = 0x7F;
    assertThatThrownBy(() -> CODEC.decode(frame))
        .isInstanceOfSatisfying(
            OversizeFieldException.class,
            e -> {
              assertThat(e.field()).isEqualTo("uncompressed length");
              assertThat(e.limit()).isEqualTo(64 << 20);
            })
        .hasMessageStartingWith(
            "uncompressed length " + e7f(frame) + " exceeds the limit of 67108864;");
  }

  private static long e7f(byte[] frame) {
    return ByteBuffer.wrap(frame, 16, 4).getInt() & 0xFFFF_FFFFL;
  }

  @Test
  void decode_payloadLongerThanLz4Allows_oversize() {
    byte[] frame = frame();
    frame[20] = 0x10;
    assertThatThrownBy(() -> CODEC.decode(frame))
        .isInstanceOfSatisfying(
            OversizeFieldException.class, e -> assertThat(e.field()).isEqualTo("payload length"))
        .hasMessageContaining("the frame is corrupt");
  }

  @Test
  void decode_flippedPayloadBit_checksumMismatch() {
    byte[] frame = frame();
    int stored = ByteBuffer.wrap(frame, 24, 4).getInt();
    frame[frame.length - 1] ^= 1;
    assertThatThrownBy(() -> CODEC.decode(frame))
        .isInstanceOfSatisfying(
            ChecksumMismatchException.class, e -> assertThat(e.expected()).isEqualTo(stored))
        .hasMessageStartingWith(
            String.format(
                "checksum mismatch: frame of %d bytes carries CRC32C 0x%08x but its bytes give",
                frame.length, stored))
        .hasMessageEndingWith(
            "the record was corrupted in transit or storage and must be re-produced by its"
                + " origin");
  }

  @Test
  void decode_unknownFingerprint_unknownSchemaNamingKnownOnes() {
    byte[] frame = FrameFormat.frameStored(0x1234L, new byte[] {1, 2, 3});
    assertThatThrownBy(() -> CODEC.decode(frame))
        .isInstanceOfSatisfying(
            UnknownSchemaException.class, e -> assertThat(e.fingerprint()).isEqualTo(0x1234L))
        .hasMessage(
            String.format(
                "unknown envelope schema fingerprint 0x0000000000001234 (format 1.%d); this reader"
                    + " knows %s; upgrade this agent to the version of the agent that wrote the"
                    + " batch (a reader reads the current minor version and the earlier ones of"
                    + " its major version)",
                FrameFormat.MINOR, KNOWN));
  }

  @Test
  void decode_trailingBytes_malformed() {
    byte[] frame = frame();
    byte[] longer = Arrays.copyOf(frame, frame.length + 2);
    assertThatThrownBy(() -> CODEC.decode(longer))
        .isInstanceOf(MalformedBatchException.class)
        .hasMessage(
            "malformed batch: 2 bytes follow the frame's payload of "
                + (frame.length - 28)
                + " bytes (at byte "
                + frame.length
                + ")");
  }

  @Test
  void decode_invalidLz4Block_malformed() {
    byte[] payload = new byte[20];
    Arrays.fill(payload, (byte) 0xF0);
    byte[] frame = FrameFormat.frameStored(CURRENT, payload);
    frame[7] = 1; // claim LZ4
    BatchCodecFuzzTest.reseal(frame);
    assertThatThrownBy(() -> CODEC.decode(frame))
        .isInstanceOf(MalformedBatchException.class)
        .hasMessageStartingWith("malformed batch: invalid LZ4 block");
  }

  @Test
  void decode_avroArrayCountBeyondData_malformedWithoutAllocating() {
    // origin "a", seqs, counts, empty transactions, then a table array claiming 2^60 entries.
    byte[] avro = {
      2,
      'a',
      2,
      2,
      2,
      0,
      0,
      (byte) 0x80,
      (byte) 0x80,
      (byte) 0x80,
      (byte) 0x80,
      (byte) 0x80,
      (byte) 0x80,
      (byte) 0x80,
      (byte) 0x80,
      0x20
    };
    assertThatThrownBy(() -> CODEC.decode(FrameFormat.frameStored(CURRENT, avro)))
        .isInstanceOf(MalformedBatchException.class)
        .hasMessage(
            "malformed batch: invalid Avro envelope: block count 1152921504606846976 exceeds the"
                + " remaining 0 bytes (at byte 16)");
  }

  @Test
  void decode_invalidUtf8InTextColumn_malformedNamingColumn() {
    Envelope envelope = new EnvelopeEncoder(WireLimits.DEFAULT).encode(batch(), "test");
    ByteBuffer name = envelope.getTables().get(0).getValues().get(1);
    byte[] data = new byte[name.remaining()];
    name.duplicate().get(data);
    data[data.length - 1] = (byte) 0xFF; // "an\xFF"
    envelope.getTables().get(0).getValues().set(1, ByteBuffer.wrap(data));
    EnvelopeAvro.Output out = EnvelopeAvro.write(envelope, 256);
    byte[] frame = FrameFormat.frame(CURRENT, out.buffer(), out.size());
    assertThatThrownBy(() -> CODEC.decode(frame))
        .isInstanceOf(MalformedBatchException.class)
        .hasMessage(
            "malformed batch: batch us-east:7..7 written by test table public.users column 'name'"
                + " data: invalid UTF-8 in text value (at byte 1)");
  }

  @Test
  void decode_valueViolatingChangeModel_malformedWithModelMessage() {
    Envelope envelope = new EnvelopeEncoder(WireLimits.DEFAULT).encode(batch(), "test");
    // Claim the key column "id" is absent in the insert: its one shape (1 shape, kind 0, a run of
    // 2 values) becomes kind 0, 1 absent, 1 value, and its data goes.
    TableSection users = envelope.getTables().get(0);
    assertThat(users.getShapes()).isEqualTo(ByteBuffer.wrap(new byte[] {1, 0, 2 << 3 | 1}));
    assertThat(users.getValues().get(0).remaining()).isPositive();
    users.getValues().set(0, ByteBuffer.allocate(0));
    envelope
        .getTables()
        .set(
            0,
            new TableSection(
                users.getSchemaName(),
                users.getTableName(),
                users.getColumns(),
                users.getRowCount(),
                ByteBuffer.wrap(new byte[] {1, 0, 1 << 3, 1 << 3 | 1}),
                users.getKeys(),
                users.getValues()));
    EnvelopeAvro.Output out = EnvelopeAvro.write(envelope, 256);
    byte[] frame = FrameFormat.frame(CURRENT, out.buffer(), out.size());
    assertThatThrownBy(() -> CODEC.decode(frame))
        .isInstanceOf(MalformedBatchException.class)
        .hasMessage(
            "malformed batch: batch us-east:7..7 written by test table public.users: insert into"
                + " public.users: key column 'id' is absent; an insert carries every key column");
  }

  @Test
  void decode_moreCellsThanLimit_oversize() {
    BatchCodec small = new BatchCodec(new WireLimits(1 << 20, 1), "test");
    byte[] frame = CODEC.encode(batch());
    assertThatThrownBy(() -> small.decode(frame))
        .isInstanceOf(OversizeFieldException.class)
        .hasMessage(
            "batch cell count (rows times columns) 2 exceeds the limit of 1; raise the maximum"
                + " cell count or have the origin write smaller batches");
  }

  @Test
  void encode_batchLargerThanLimit_oversizeAskingToSplit() {
    BatchCodec small = new BatchCodec(new WireLimits(1024, 1 << 20), "test");
    RowChange big =
        new RowChange.Insert(
            USERS, Map.of("id", new Value.Int8(1), "name", new Value.Text("x".repeat(5000))));
    WireBatch batch =
        WireBatch.of(
            new SourceTransaction(
                US, 1, new HybridTimestamp(1, 0, US), VersionVector.empty(), List.of(big)));
    assertThatThrownBy(() -> small.encode(batch))
        .isInstanceOf(OversizeFieldException.class)
        .hasMessageStartingWith("uncompressed length ")
        .hasMessageEndingWith(
            "exceeds the limit of 1024; split the batch of 1 transactions from us-east into"
                + " smaller batches");
  }
}
