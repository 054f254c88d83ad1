package io.georep.connectors.postgres.internal.pgoutput;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.vectorclock.testkit.Generators;
import io.georep.vectorclock.testkit.Seeds;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class PgOutputDecoderTest {

  /** Writes protocol messages the way the server does: big-endian, NUL-terminated strings. */
  private static final class Wire {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final DataOutputStream out = new DataOutputStream(bytes);

    Wire b(int v) {
      try {
        out.writeByte(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    Wire i16(int v) {
      try {
        out.writeShort(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    Wire i32(int v) {
      try {
        out.writeInt(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    Wire i64(long v) {
      try {
        out.writeLong(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    Wire str(String s) {
      byte[] raw = s.getBytes(StandardCharsets.UTF_8);
      bytes.write(raw, 0, raw.length);
      return b(0);
    }

    Wire text(String s) {
      byte[] raw = s.getBytes(StandardCharsets.UTF_8);
      b('t').i32(raw.length);
      bytes.write(raw, 0, raw.length);
      return this;
    }

    ByteBuffer buffer() {
      return ByteBuffer.wrap(bytes.toByteArray());
    }
  }

  private final PgOutputDecoder decoder = new PgOutputDecoder();

  @Test
  void decode_beginAndCommit_readsLsnsAndTimes() {
    assertThat(decoder.decode(new Wire().b('B').i64(0x16B3748L).i64(7_000_000L).i32(741).buffer()))
        .isEqualTo(new PgOutputMessage.Begin(0x16B3748L, 7_000_000L, 741));
    assertThat(decoder.decode(new Wire().b('C').b(0).i64(10).i64(20).i64(30).buffer()))
        .isEqualTo(new PgOutputMessage.Commit(0, 10, 20, 30));
  }

  @Test
  void decode_relation_readsColumnsKeysAndIdentity() {
    ByteBuffer msg =
        new Wire()
            .b('R')
            .i32(16384)
            .str("public")
            .str("accounts")
            .b('f')
            .i16(2)
            .b(1)
            .str("id")
            .i32(20)
            .i32(-1)
            .b(0)
            .str("balance")
            .i32(1700)
            .i32(1310726)
            .buffer();
    assertThat(decoder.decode(msg))
        .isEqualTo(
            new PgOutputMessage.Relation(
                0,
                16384,
                "public",
                "accounts",
                'f',
                List.of(
                    new PgOutputMessage.RelationColumn(true, "id", 20, -1),
                    new PgOutputMessage.RelationColumn(false, "balance", 1700, 1310726))));
  }

  @Test
  void decode_updateWithOldRowAndUnchangedToast_keepsUnchangedDistinctFromNull() {
    ByteBuffer msg =
        new Wire()
            .b('U')
            .i32(16384)
            .b('O')
            .i16(3)
            .text("1")
            .b('n')
            .text("old body")
            .b('N')
            .i16(3)
            .text("1")
            .text("new")
            .b('u')
            .buffer();
    PgOutputMessage.Update update = (PgOutputMessage.Update) decoder.decode(msg);
    assertThat(update.oldKind()).isEqualTo('O');
    assertThat(update.oldTuple().kind(1)).isEqualTo(TupleData.Kind.NULL);
    assertThat(update.oldTuple().text(2)).isEqualTo("old body");
    assertThat(update.newTuple().text(1)).isEqualTo("new");
    assertThat(update.newTuple().kind(2)).isEqualTo(TupleData.Kind.UNCHANGED_TOAST);
    assertThat(update.newTuple().text(2)).isNull();
  }

  @Test
  void decode_updateWithoutOldTuple_hasNoOldTuple() {
    ByteBuffer msg = new Wire().b('U').i32(5).b('N').i16(1).text("x").buffer();
    PgOutputMessage.Update update = (PgOutputMessage.Update) decoder.decode(msg);
    assertThat(update.oldKind()).isEqualTo((char) 0);
    assertThat(update.oldTuple()).isNull();
  }

  @Test
  void decode_transactionalMessage_readsPrefixAndContent() {
    ByteBuffer msg = new Wire().b('M').b(1).i64(99).str("georep").i32(3).b(1).b(2).b(3).buffer();
    PgOutputMessage.Message m = (PgOutputMessage.Message) decoder.decode(msg);
    assertThat(m.transactional()).isTrue();
    assertThat(m.prefix()).isEqualTo("georep");
    assertThat(m.contentBytes()).containsExactly(1, 2, 3);
  }

  @Test
  void decode_changesInsideStreamBlock_carryTheXid() {
    decoder.decode(new Wire().b('S').i32(900).b(1).buffer());
    PgOutputMessage.Insert insert =
        (PgOutputMessage.Insert)
            decoder.decode(new Wire().b('I').i32(900).i32(16384).b('N').i16(1).text("7").buffer());
    assertThat(insert.xid()).isEqualTo(900);
    assertThat(insert.relationOid()).isEqualTo(16384);
    decoder.decode(new Wire().b('E').buffer());
    PgOutputMessage.Insert outside =
        (PgOutputMessage.Insert)
            decoder.decode(new Wire().b('I').i32(16384).b('N').i16(1).text("8").buffer());
    assertThat(outside.xid()).isZero();
  }

  @Test
  void decode_truncate_readsAllRelations() {
    assertThat(decoder.decode(new Wire().b('T').i32(2).b(1).i32(10).i32(11).buffer()))
        .isEqualTo(new PgOutputMessage.Truncate(0, 1, List.of(10, 11)));
  }

  @Test
  void decode_unknownType_namesTheByte() {
    assertThatThrownBy(() -> decoder.decode(new Wire().b('Z').buffer()))
        .isInstanceOf(PgOutputProtocolException.class)
        .hasMessageStartingWith(
            "malformed pgoutput message 'Z' at byte 0: unknown message type 'Z'");
  }

  @Test
  void decode_truncatedBegin_rejected() {
    assertThatThrownBy(() -> decoder.decode(new Wire().b('B').i64(1).buffer()))
        .isInstanceOf(PgOutputProtocolException.class)
        .hasMessageStartingWith("malformed pgoutput message 'B' at byte 9: message truncated");
  }

  @Test
  void decode_hugeValueLength_rejectedBeforeAllocating() {
    ByteBuffer msg = new Wire().b('I').i32(1).b('N').i16(1).b('t').i32(Integer.MAX_VALUE).buffer();
    assertThatThrownBy(() -> decoder.decode(msg))
        .isInstanceOf(PgOutputProtocolException.class)
        .hasMessageStartingWith(
            "malformed pgoutput message 'I' at byte 9: length 2147483647 exceeds the 0 bytes left");
  }

  @Test
  void decode_trailingBytes_rejected() {
    assertThatThrownBy(() -> decoder.decode(new Wire().b('E').b(0).buffer()))
        .isInstanceOf(PgOutputProtocolException.class)
        .hasMessageStartingWith(
            "malformed pgoutput message 'E' at byte 1: 1 unexpected trailing bytes");
  }

  static LongStream garbage() {
    return Seeds.of("pgoutput-garbage");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("garbage")
  void decode_garbageOrMutants_throwsOnlyProtocolException(long seed) {
    Seeds.check(
        seed,
        random -> {
          ByteBuffer valid =
              new Wire()
                  .b('U')
                  .i32(16384)
                  .b('O')
                  .i16(2)
                  .text("1")
                  .b('n')
                  .b('N')
                  .i16(2)
                  .text("1")
                  .text("abc")
                  .buffer();
          byte[] bytes = new byte[valid.remaining()];
          valid.get(bytes);
          for (byte[] input : Generators.mutants(random, bytes, 8)) {
            decodeOrProtocolError(input);
          }
          decodeOrProtocolError(Generators.bytes(random, 40));
        });
  }

  private static void decodeOrProtocolError(byte[] input) {
    try {
      assertThat(new PgOutputDecoder().decode(ByteBuffer.wrap(input))).isNotNull();
    } catch (PgOutputProtocolException e) {
      assertThat(e.getMessage()).startsWith("malformed pgoutput message");
    }
  }
}
