package io.georep.replicator.codec.internal;

import io.georep.replicator.codec.MalformedBatchException;
import io.georep.replicator.codec.internal.avro.ColumnDefinition;
import io.georep.replicator.codec.internal.avro.Envelope;
import io.georep.replicator.codec.internal.avro.Fragment;
import io.georep.replicator.codec.internal.avro.TableSection;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

/** Avro binary encoding of the envelope, and bounded decoding from any known writer schema. */
public final class EnvelopeAvro {
  /**
   * The data model of the generated envelope classes. It maps the envelope's record schemas to
   * their classes directly, so Avro never looks classes up by name (which Avro 1.12 restricts to
   * trusted packages, and which would let a schema name pick a class).
   */
  private static final SpecificData MODEL =
      new SpecificData(EnvelopeAvro.class.getClassLoader()) {
        @Override
        public Class<?> getClass(Schema schema) {
          if (schema.getType() == Schema.Type.RECORD) {
            return switch (schema.getFullName()) {
              case "io.georep.replicator.codec.internal.avro.Envelope" -> Envelope.class;
              case "io.georep.replicator.codec.internal.avro.TableSection" -> TableSection.class;
              case "io.georep.replicator.codec.internal.avro.ColumnDefinition" ->
                  ColumnDefinition.class;
              case "io.georep.replicator.codec.internal.avro.Fragment" -> Fragment.class;
              default ->
                  throw new AvroRuntimeException("unexpected record " + schema.getFullName());
            };
          }
          return super.getClass(schema);
        }
      };

  private EnvelopeAvro() {}

  /** A growable output whose buffer can be read without copying. */
  public static final class Output extends ByteArrayOutputStream {
    Output(int size) {
      super(size);
    }

    /**
     * Returns the internal buffer; valid up to {@link #size()}.
     *
     * @return the buffer
     */
    public byte[] buffer() {
      return buf;
    }
  }

  /**
   * Writes the envelope in Avro binary form with the current schema.
   *
   * @param envelope the envelope; never null
   * @param sizeHint the expected size in bytes
   * @return the output holding the bytes
   */
  public static Output write(Envelope envelope, int sizeHint) {
    Output out = new Output(Math.max(64, sizeHint));
    BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
    try {
      new SpecificDatumWriter<Envelope>(Envelope.getClassSchema(), MODEL).write(envelope, encoder);
      encoder.flush();
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory failed", e);
    }
    return out;
  }

  /**
   * Reads an envelope written with the given writer schema, resolving it to the current schema. The
   * bytes are first walked by {@link AvroBounds}, so Avro allocates in proportion to them.
   *
   * @param writer the writer schema; never null
   * @param bytes the Avro-encoded envelope; never null
   * @return the envelope
   * @throws MalformedBatchException if the bytes are not exactly one envelope of the writer schema
   */
  public static Envelope read(Schema writer, byte[] bytes) {
    AvroBounds.check(writer, bytes, 0, bytes.length);
    BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, null);
    try {
      Envelope envelope =
          new SpecificDatumReader<Envelope>(writer, Envelope.getClassSchema(), MODEL)
              .read(null, decoder);
      if (!decoder.isEnd()) {
        throw new MalformedBatchException("bytes left after the Avro envelope");
      }
      return envelope;
    } catch (IOException | AvroRuntimeException | IndexOutOfBoundsException e) {
      // The walk accepted the structure, so this is content Avro itself rejects.
      throw new MalformedBatchException("invalid Avro envelope: " + e.getMessage(), e);
    }
  }
}
