package io.georep.vectorclock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import org.junit.jupiter.api.Test;

class ValuesTest {

  @Test
  void replicaId_invalidCharacters_rejectedWithHint() {
    assertThatThrownBy(() -> ReplicaId.of("us east"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "invalid replica id 'us east': use 1 to 64 characters from A-Z, a-z, 0-9, '.', '_'"
                + " and '-' (for example 'us-east')");
    assertThatThrownBy(() -> ReplicaId.of("")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ReplicaId.of("x".repeat(65)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void dot_zeroSequence_rejected() {
    assertThatThrownBy(() -> Dot.of("us-east", 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("dot sequence numbers start at 1, got 0 for replica us-east");
  }

  @Test
  void hybridTimestamp_negativeWallTime_rejected() {
    assertThatThrownBy(() -> new HybridTimestamp(-1, 0, ReplicaId.of("a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("wall time must not be negative: -1");
  }

  @Test
  void reader_overlongVarint_rejected() {
    byte[] overlong = {(byte) 0x81, 0x00};
    assertThatThrownBy(() -> new CompactReader(overlong).readUnsigned("n"))
        .isInstanceOf(MalformedEncodingException.class)
        .hasMessage("over-long integer encoding: n (at byte offset 0)");
  }

  @Test
  void reader_varintBeyondLongRange_rejected() {
    byte[] tooBig = new byte[10];
    java.util.Arrays.fill(tooBig, 0, 9, (byte) 0xFF);
    tooBig[9] = 0x01;
    assertThatThrownBy(() -> new CompactReader(tooBig).readUnsigned("n"))
        .isInstanceOf(MalformedEncodingException.class)
        .hasMessage("integer out of range: n (at byte offset 0)");
  }

  @Test
  void reader_truncatedVarint_rejected() {
    byte[] truncated = {(byte) 0x80};
    assertThatThrownBy(() -> new CompactReader(truncated).readUnsigned("n"))
        .isInstanceOf(MalformedEncodingException.class)
        .hasMessage("truncated integer: n (at byte offset 0)");
  }

  @Test
  void reader_invalidUtf8_rejected() {
    byte[] bad = {2, (byte) 0xC3, 0x28};
    assertThatThrownBy(() -> new CompactReader(bad).readString("name", 10))
        .isInstanceOf(MalformedEncodingException.class)
        .hasMessage("invalid UTF-8 in name (at byte offset 0)");
  }

  @Test
  void reader_stringLongerThanLimit_rejectedBeforeAllocating() {
    byte[] input = new CompactWriter().writeUnsigned(1L << 40).toByteArray();
    assertThatThrownBy(() -> new CompactReader(input).readString("name", 64))
        .isInstanceOf(MalformedEncodingException.class)
        .hasMessage("name is 1099511627776 bytes, more than the limit of 64 (at byte offset 0)");
  }

  @Test
  void writerAndReader_signedExtremes_roundTrip() {
    CompactWriter w = new CompactWriter(1);
    long[] values = {0, -1, 1, Long.MIN_VALUE, Long.MAX_VALUE, -64, 63, 64};
    for (long v : values) {
      w.writeSigned(v);
    }
    w.writeUnsigned(Long.MAX_VALUE);
    CompactReader r = new CompactReader(w.toByteArray());
    for (long v : values) {
      assertThat(r.readSigned("v")).isEqualTo(v);
    }
    assertThat(r.readUnsigned("max")).isEqualTo(Long.MAX_VALUE);
    r.expectEnd("values");
  }
}
