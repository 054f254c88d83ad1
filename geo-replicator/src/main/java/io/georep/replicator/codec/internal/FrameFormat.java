package io.georep.replicator.codec.internal;

import io.georep.replicator.codec.BadMagicException;
import io.georep.replicator.codec.ChecksumMismatchException;
import io.georep.replicator.codec.MalformedBatchException;
import io.georep.replicator.codec.OversizeFieldException;
import io.georep.replicator.codec.TruncatedFrameException;
import io.georep.replicator.codec.UnsupportedFormatException;
import java.util.Arrays;
import java.util.zip.CRC32C;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * The frame around an envelope: a fixed 28-byte header, then the payload (docs/wire-format.md).
 *
 * <pre>
 *  0  4  magic "GRPB"
 *  4  1  format major version (1)
 *  5  1  format minor version (2)
 *  6  2  flags, big-endian: bit 0 = payload is an LZ4 block; other bits 0
 *  8  8  envelope schema fingerprint, big-endian
 * 16  4  uncompressed envelope length, big-endian unsigned
 * 20  4  payload length, big-endian unsigned
 * 24  4  CRC32C of bytes 0..23 and the payload, big-endian
 * 28     payload
 * </pre>
 *
 * <p>Decoding checks, in order, before allocating anything: magic, version and flags, the lengths
 * against the limits and the frame size, the checksum; only then does it allocate the declared
 * (bounded) uncompressed length and decompress with LZ4's safe decompressor, which never reads or
 * writes outside its buffers.
 *
 * <p>Thread-safe: LZ4 compressors and decompressors are stateless.
 */
public final class FrameFormat {
  /** The header size in bytes. */
  public static final int HEADER_BYTES = 28;

  /** The format major version: a reader rejects every other. */
  public static final int MAJOR = 1;

  /** The format minor version this version writes. */
  public static final int MINOR = 2;

  static final int FLAG_LZ4 = 1;
  private static final byte[] MAGIC = {'G', 'R', 'P', 'B'};

  // The fastest available implementation (JNI if it loads, else pure Java). Only its safe
  // decompressor ever sees untrusted bytes.
  private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
  private static final LZ4Compressor COMPRESSOR = LZ4.fastCompressor();
  private static final LZ4SafeDecompressor DECOMPRESSOR = LZ4.safeDecompressor();

  private FrameFormat() {}

  /**
   * The validated header of a frame.
   *
   * @param minor the format minor version
   * @param flags the flags; only known bits set
   * @param fingerprint the envelope writer schema's fingerprint
   * @param uncompressedLength the envelope's length; within the limit
   * @param payloadLength the payload's length; consistent with the frame's length
   */
  public record Header(
      int minor, int flags, long fingerprint, int uncompressedLength, int payloadLength) {
    /**
     * Returns the format version as {@code major.minor}.
     *
     * @return the version, such as {@code 1.0}
     */
    public String version() {
      return MAJOR + "." + minor;
    }
  }

  /**
   * Frames an envelope: compresses it with LZ4 unless that does not make it smaller.
   *
   * @param fingerprint the envelope's writer schema fingerprint
   * @param envelope the Avro-encoded envelope
   * @param length how many bytes of {@code envelope} to frame
   * @return the frame
   */
  public static byte[] frame(long fingerprint, byte[] envelope, int length) {
    byte[] frame = new byte[HEADER_BYTES + COMPRESSOR.maxCompressedLength(length)];
    int compressed = COMPRESSOR.compress(envelope, 0, length, frame, HEADER_BYTES);
    int flags = FLAG_LZ4;
    if (compressed >= length) {
      System.arraycopy(envelope, 0, frame, HEADER_BYTES, length);
      compressed = length;
      flags = 0;
    }
    return seal(frame, flags, fingerprint, length, compressed);
  }

  /**
   * Frames an envelope without compression (also used by tests to forge frames).
   *
   * @param fingerprint the schema fingerprint to put in the header
   * @param envelope the payload
   * @return the frame
   */
  public static byte[] frameStored(long fingerprint, byte[] envelope) {
    byte[] frame = new byte[HEADER_BYTES + envelope.length];
    System.arraycopy(envelope, 0, frame, HEADER_BYTES, envelope.length);
    return seal(frame, 0, fingerprint, envelope.length, envelope.length);
  }

  private static byte[] seal(byte[] buffer, int flags, long fingerprint, int length, int payload) {
    byte[] frame =
        buffer.length == HEADER_BYTES + payload
            ? buffer
            : Arrays.copyOf(buffer, HEADER_BYTES + payload);
    System.arraycopy(MAGIC, 0, frame, 0, 4);
    frame[4] = (byte) MAJOR;
    frame[5] = (byte) MINOR;
    putInt16(frame, 6, flags);
    putInt64(frame, 8, fingerprint);
    putInt32(frame, 16, length);
    putInt32(frame, 20, payload);
    putInt32(frame, 24, checksum(frame, 0, HEADER_BYTES + payload));
    return frame;
  }

  /**
   * Reads and validates a frame's header, length fields and checksum.
   *
   * @param frame the bytes; never null
   * @param offset where the frame starts
   * @param length the frame's length
   * @param maxUncompressed the largest envelope accepted
   * @return the header
   * @throws BadMagicException if the magic is wrong
   * @throws TruncatedFrameException if fewer bytes than the header and payload need
   * @throws UnsupportedFormatException for another major version or unknown flags
   * @throws OversizeFieldException if a length field exceeds its limit
   * @throws ChecksumMismatchException if the checksum does not match
   * @throws MalformedBatchException if bytes follow the payload
   */
  public static Header readHeader(byte[] frame, int offset, int length, int maxUncompressed) {
    int prefix = Math.min(length, 4);
    for (int i = 0; i < prefix; i++) {
      if (frame[offset + i] != MAGIC[i]) {
        throw new BadMagicException(Arrays.copyOfRange(frame, offset, offset + prefix));
      }
    }
    if (length < HEADER_BYTES) {
      throw new TruncatedFrameException(HEADER_BYTES, length);
    }
    int major = frame[offset + 4] & 0xFF;
    int minor = frame[offset + 5] & 0xFF;
    if (major != MAJOR) {
      throw new UnsupportedFormatException(
          "frame format version "
              + major
              + "."
              + minor
              + " is not readable by this agent, which reads format "
              + MAJOR
              + ".x; run the same major georep version in every region");
    }
    int flags = getInt16(frame, offset + 6);
    if ((flags & ~FLAG_LZ4) != 0) {
      throw new UnsupportedFormatException(
          String.format(
              "frame flags 0x%04x include bits this agent does not know (it knows 0x%04x); the"
                  + " batch was written by a newer georep version: upgrade this agent",
              flags, FLAG_LZ4));
    }
    long fingerprint = getInt64(frame, offset + 8);
    long uncompressed = getInt32(frame, offset + 16) & 0xFFFF_FFFFL;
    long payload = getInt32(frame, offset + 20) & 0xFFFF_FFFFL;
    if (uncompressed > maxUncompressed) {
      throw new OversizeFieldException(
          "uncompressed length",
          uncompressed,
          maxUncompressed,
          "the frame is corrupt, or the writer's maximum batch size is larger than this reader's:"
              + " align the maximum batch size of all agents");
    }
    long maxPayload =
        (flags & FLAG_LZ4) != 0 ? COMPRESSOR.maxCompressedLength((int) uncompressed) : uncompressed;
    if (payload > maxPayload) {
      throw new OversizeFieldException(
          "payload length",
          payload,
          maxPayload,
          "a payload of "
              + uncompressed
              + " uncompressed bytes cannot be that long; the frame is"
              + " corrupt");
    }
    if (HEADER_BYTES + payload > length) {
      throw new TruncatedFrameException(HEADER_BYTES + payload, length);
    }
    if (HEADER_BYTES + payload < length) {
      throw new MalformedBatchException(
          (length - HEADER_BYTES - payload)
              + " bytes follow the frame's payload of "
              + payload
              + " bytes (at byte "
              + (HEADER_BYTES + payload)
              + ")");
    }
    int stored = getInt32(frame, offset + 24);
    int actual = checksum(frame, offset, length);
    if (stored != actual) {
      throw new ChecksumMismatchException(stored, actual, length);
    }
    return new Header(minor, flags, fingerprint, (int) uncompressed, (int) payload);
  }

  /**
   * Returns a frame's envelope bytes: decompressed into a new array of exactly the declared length.
   *
   * @param frame the frame's bytes, validated by {@link #readHeader}
   * @param offset where the frame starts
   * @param header its header
   * @return the envelope
   * @throws MalformedBatchException if the payload is not a valid LZ4 block of the declared length
   */
  public static byte[] payload(byte[] frame, int offset, Header header) {
    int from = offset + HEADER_BYTES;
    if ((header.flags() & FLAG_LZ4) == 0) {
      if (header.payloadLength() != header.uncompressedLength()) {
        throw new MalformedBatchException(
            "stored payload of "
                + header.payloadLength()
                + " bytes declares "
                + header.uncompressedLength()
                + " uncompressed bytes");
      }
      return Arrays.copyOfRange(frame, from, from + header.payloadLength());
    }
    byte[] out = new byte[header.uncompressedLength()];
    int n;
    try {
      n = DECOMPRESSOR.decompress(frame, from, header.payloadLength(), out, 0, out.length);
    } catch (LZ4Exception e) {
      throw new MalformedBatchException("invalid LZ4 block: " + e.getMessage(), e);
    }
    if (n != out.length) {
      throw new MalformedBatchException(
          "LZ4 block decompresses to " + n + " bytes, the header declares " + out.length);
    }
    return out;
  }

  private static int checksum(byte[] frame, int offset, int length) {
    CRC32C crc = new CRC32C();
    crc.update(frame, offset, 24);
    crc.update(frame, offset + HEADER_BYTES, length - HEADER_BYTES);
    return (int) crc.getValue();
  }

  private static void putInt16(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 8);
    b[at + 1] = (byte) v;
  }

  private static void putInt32(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }

  private static void putInt64(byte[] b, int at, long v) {
    putInt32(b, at, (int) (v >>> 32));
    putInt32(b, at + 4, (int) v);
  }

  private static int getInt16(byte[] b, int at) {
    return (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
  }

  private static int getInt32(byte[] b, int at) {
    return (b[at] & 0xFF) << 24
        | (b[at + 1] & 0xFF) << 16
        | (b[at + 2] & 0xFF) << 8
        | (b[at + 3] & 0xFF);
  }

  private static long getInt64(byte[] b, int at) {
    return (long) getInt32(b, at) << 32 | (getInt32(b, at + 4) & 0xFFFF_FFFFL);
  }
}
