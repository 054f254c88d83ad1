package io.georep.replicator.codec;

import io.georep.replicator.codec.internal.EnvelopeAvro;
import io.georep.replicator.codec.internal.EnvelopeDecoder;
import io.georep.replicator.codec.internal.EnvelopeEncoder;
import io.georep.replicator.codec.internal.EnvelopeSchemas;
import io.georep.replicator.codec.internal.FrameFormat;
import io.georep.replicator.codec.internal.avro.Envelope;
import java.util.Objects;
import org.apache.avro.Schema;

/**
 * The wire codec: encodes a {@link WireBatch} into one self-describing frame and decodes it back.
 *
 * <p>A frame is a fixed header (magic, format version, flags, envelope schema fingerprint, lengths,
 * CRC32C) around an LZ4-compressed Avro envelope. The envelope carries the schemas of the tables it
 * touches, so a reader needs no schema registry, and lays row values out by column: integers and
 * timestamps delta-encoded, columns an update did not change absent. docs/wire-format.md describes
 * every byte.
 *
 * <p>Decoding is safe against garbage: it either returns a batch or throws a {@link
 * WireFormatException} subclass naming what was wrong ({@link TruncatedFrameException}, {@link
 * BadMagicException}, {@link UnsupportedFormatException}, {@link OversizeFieldException}, {@link
 * ChecksumMismatchException}, {@link UnknownSchemaException}, {@link MalformedBatchException}). It
 * allocates at most in proportion to the frame and the {@link WireLimits}, and runs in time linear
 * in the decoded size.
 *
 * <p>Immutable and thread-safe.
 */
public final class BatchCodec {
  /** The default writer name recorded in every envelope. */
  public static final String DEFAULT_WRITER = "georep";

  private final WireLimits limits;
  private final String writer;
  private final EnvelopeSchemas schemas;

  /**
   * Creates a codec.
   *
   * @param limits the limits for encoding and decoding; never null
   * @param writer the name recorded in every envelope for diagnostics, such as {@code georep/0.1.0
   *     us-east}; never null
   */
  public BatchCodec(WireLimits limits, String writer) {
    this(limits, writer, EnvelopeSchemas.bundled());
  }

  BatchCodec(WireLimits limits, String writer, EnvelopeSchemas schemas) {
    this.limits = Objects.requireNonNull(limits, "limits");
    this.writer = Objects.requireNonNull(writer, "writer");
    this.schemas = Objects.requireNonNull(schemas, "schemas");
  }

  /**
   * Returns a codec with the {@linkplain WireLimits#DEFAULT default limits}.
   *
   * @return the codec
   */
  public static BatchCodec create() {
    return new BatchCodec(WireLimits.DEFAULT, DEFAULT_WRITER);
  }

  /**
   * Returns the limits this codec enforces.
   *
   * @return the limits; never null
   */
  public WireLimits limits() {
    return limits;
  }

  /**
   * Encodes a batch into one frame.
   *
   * @param batch the batch; never null
   * @return the frame; a new array
   * @throws OversizeFieldException if the encoded batch exceeds {@link WireLimits#maxBatchBytes()}
   *     or {@link WireLimits#maxCells()}: split it into smaller batches
   */
  public byte[] encode(WireBatch batch) {
    Objects.requireNonNull(batch, "batch");
    Envelope envelope = new EnvelopeEncoder(limits).encode(batch, writer);
    EnvelopeAvro.Output avro = EnvelopeAvro.write(envelope, 1024);
    if (avro.size() > limits.maxBatchBytes()) {
      throw new OversizeFieldException(
          "uncompressed length",
          avro.size(),
          limits.maxBatchBytes(),
          "split the batch of "
              + batch.transactions().size()
              + " transactions from "
              + batch.origin()
              + " into smaller batches");
    }
    int changes = batch.changeCount();
    if (changes > avro.size()) {
      // The reader bounds the change count by the envelope's size, so that a small frame cannot
      // expand into many rows; only rows without data bytes (NULL keys) can get here.
      throw new OversizeFieldException(
          "change count",
          changes,
          avro.size(),
          "a batch holds at most one change per envelope byte; split the batch of "
              + batch.transactions().size()
              + " transactions from "
              + batch.origin()
              + " into smaller batches");
    }
    return FrameFormat.frame(schemas.currentFingerprint(), avro.buffer(), avro.size());
  }

  /**
   * Decodes a frame.
   *
   * @param frame the frame's bytes; never null; not modified
   * @return the batch
   * @throws WireFormatException (one of its subclasses) if the bytes are not a valid frame
   */
  public WireBatch decode(byte[] frame) {
    return decode(frame, 0, frame.length);
  }

  /**
   * Decodes the frame in {@code frame[offset, offset + length)}.
   *
   * @param frame the buffer; never null; not modified
   * @param offset where the frame starts
   * @param length the frame's length
   * @return the batch
   * @throws WireFormatException (one of its subclasses) if the bytes are not a valid frame
   * @throws IndexOutOfBoundsException if the range is not inside the buffer
   */
  public WireBatch decode(byte[] frame, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, frame.length);
    FrameFormat.Header header =
        FrameFormat.readHeader(frame, offset, length, limits.maxBatchBytes());
    Schema writerSchema = schemas.writerSchema(header.fingerprint());
    if (writerSchema == null) {
      throw new UnknownSchemaException(header.fingerprint(), header.version(), schemas.known());
    }
    byte[] avro = FrameFormat.payload(frame, offset, header);
    Envelope envelope = EnvelopeAvro.read(writerSchema, avro);
    return new EnvelopeDecoder(limits).decode(envelope, avro.length);
  }
}
