package io.georep.resolver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.georep.connector.RowChange;
import io.georep.connector.ScalarType;
import io.georep.connector.Value;
import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import io.georep.vectorclock.testkit.Seeds;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class RowStateEncodingTest {
  private static final List<ReplicaId> REGIONS = List.of(TestRows.AP, TestRows.EU, TestRows.US);

  static LongStream roundTripSeeds() {
    return Seeds.of("row-state-round-trip");
  }

  static LongStream garbageSeeds() {
    return Seeds.of("row-state-garbage");
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("roundTripSeeds")
  void fromBytes_encodedState_roundTripsByteForByte(long seed) {
    Seeds.check(
        seed,
        random -> {
          RowState s = randomState(random);
          byte[] bytes = s.toBytes();
          RowState decoded = RowState.fromBytes(bytes);
          assertThat(decoded).isEqualTo(s);
          assertThat(decoded.hashCode()).isEqualTo(s.hashCode());
          assertThat(decoded.toBytes()).isEqualTo(bytes);
        });
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("garbageSeeds")
  void fromBytes_corruptedOrRandomBytes_failsOnlyWithMalformedEncoding(long seed) {
    Seeds.check(
        seed,
        random -> {
          byte[] bytes = randomState(random).toBytes();
          byte[] garbage;
          switch (random.nextInt(3)) {
            case 0 -> {
              garbage = bytes.clone();
              for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                garbage[random.nextInt(garbage.length)] = (byte) random.nextInt(256);
              }
            }
            case 1 -> garbage = java.util.Arrays.copyOf(bytes, random.nextInt(bytes.length));
            default -> {
              garbage = new byte[random.nextInt(64)];
              for (int i = 0; i < garbage.length; i++) {
                garbage[i] = (byte) random.nextInt(256);
              }
              if (garbage.length > 1 && random.nextBoolean()) {
                garbage[0] = 'R';
                garbage[1] = 1;
              }
            }
          }
          Throwable thrown = catchThrowable(() -> RowState.fromBytes(garbage));
          if (thrown == null) {
            // Whatever decodes must be canonical.
            assertThat(RowState.fromBytes(garbage).toBytes()).isEqualTo(garbage);
          } else {
            assertThat(thrown).isInstanceOf(MalformedEncodingException.class);
          }
        });
  }

  @Test
  void fromBytes_everyDatumKind_roundTrips() {
    List<Value> datums =
        List.of(
            Value.NULL,
            new Value.Bool(true),
            new Value.Int2((short) -7),
            new Value.Int4(Integer.MIN_VALUE),
            new Value.Int8(Long.MAX_VALUE),
            new Value.Numeric(new BigDecimal("-12345678901234567890.0100")),
            new Value.Float4(Float.NaN),
            new Value.Float8(-0.0),
            new Value.Text("grüß 😀"),
            Value.TimestampTz.ofEpochMicros(-1_234_567),
            Value.Timestamp.ofEpochMicros(1_700_000_000_000_001L),
            new Value.Date(LocalDate.of(1999, 12, 31)),
            new Value.Uuid(UUID.fromString("123e4567-e89b-12d3-a456-426614174000")),
            new Value.Jsonb("{\"a\": [1, 2]}"),
            Value.Bytes.of(new byte[] {0, -1, 7}),
            new Value.Timestamp(LocalDateTime.of(2020, 1, 1, 0, 0)));
    io.georep.connector.TableSchema table =
        io.georep.connector.TableSchema.of(
            io.georep.connector.TableId.of("public", "kinds"),
            List.of(
                io.georep.connector.ColumnSchema.key("id", ScalarType.INT4, 1),
                io.georep.connector.ColumnSchema.of(
                    "x",
                    io.georep.connector.OpaqueType.class.cast(
                        io.georep.connector.ColumnType.of("anything")),
                    true)));
    TablePolicy policy = TablePolicy.of(table, Resolvers.lww(), Map.of());
    for (int i = 0; i < datums.size(); i++) {
      Value d = datums.get(i);
      // An opaque column takes text only, so every other kind goes through the codec directly.
      io.georep.vectorclock.encoding.CompactWriter out =
          new io.georep.vectorclock.encoding.CompactWriter();
      io.georep.resolver.internal.ValueCodec.write(d, out);
      io.georep.vectorclock.encoding.CompactReader in =
          new io.georep.vectorclock.encoding.CompactReader(out.toByteArray());
      assertThat(io.georep.resolver.internal.ValueCodec.read(in)).isEqualTo(d);
      in.expectEnd("value");
    }
    Write w =
        new Write(
            table,
            io.georep.connector.RowKey.of(new Value.Int4(1)),
            RowChange.Kind.INSERT,
            Map.of("x", new Value.Text("t")),
            Dot.of("eu-west", 1),
            new HybridTimestamp(1, 0, TestRows.EU),
            VersionVector.empty());
    RowState s = RowMerge.merge(Optional.empty(), w, policy).state();
    assertThat(RowState.fromBytes(s.toBytes())).isEqualTo(s);
  }

  @Test
  void fromBytes_wrongTag_failsNamingIt() {
    assertThatThrownBy(() -> RowState.fromBytes(new byte[] {'X', 1}))
        .isInstanceOf(MalformedEncodingException.class)
        .hasMessageContaining("not a row state");
  }

  /** A state reached by random concurrent writes of the test table. */
  private static RowState randomState(SplittableRandom random) {
    TablePolicy policy = TestRows.policy(Resolvers.lww());
    Optional<RowState> s = Optional.empty();
    List<Write> writes = new ArrayList<>();
    VersionVector[] seen = new VersionVector[REGIONS.size()];
    java.util.Arrays.fill(seen, VersionVector.empty());
    for (int i = 0, n = 1 + random.nextInt(6); i < n; i++) {
      int r = random.nextInt(REGIONS.size());
      ReplicaId origin = REGIONS.get(r);
      Dot dot = seen[r].nextDot(origin);
      // Contexts see a random prefix of what was merged, so some writes are concurrent.
      VersionVector context = seen[r];
      if (!writes.isEmpty() && random.nextBoolean()) {
        context = context.join(writes.get(random.nextInt(writes.size())).context());
      }
      context = context.join(VersionVector.empty().advance(origin, dot.seq() - 1));
      HybridTimestamp ts = new HybridTimestamp(100 + i, random.nextInt(2), origin);
      Write w;
      int kind = s.isEmpty() ? 0 : random.nextInt(4);
      if (kind == 0) {
        w =
            new Write(
                TestRows.ITEMS,
                TestRows.KEY,
                RowChange.Kind.INSERT,
                Map.of(
                    "v", TestRows.text("v" + random.nextInt(3)),
                    "hits", new Value.Int8(random.nextInt(5)),
                    "tags", TestRows.texts("a", "b" + random.nextInt(2)),
                    "best", new Value.Int4(random.nextInt(9)),
                    "labels", TestRows.texts("x"),
                    "grows", new Value.Int8(random.nextInt(5)),
                    "once", TestRows.texts("p", "q" + random.nextInt(2))),
                dot,
                ts,
                context);
      } else if (kind == 1) {
        w =
            new Write(
                TestRows.ITEMS, TestRows.KEY, RowChange.Kind.DELETE, Map.of(), dot, ts, context);
      } else {
        w =
            new Write(
                TestRows.ITEMS,
                TestRows.KEY,
                RowChange.Kind.UPDATE,
                Map.of(
                    "w", TestRows.text("w" + random.nextInt(3)),
                    "hits", Value.CounterDelta.of(random.nextInt(5)),
                    "low", new Value.Int4(random.nextInt(9)),
                    "grows", Value.CounterDelta.of(random.nextInt(5) - 1),
                    "once",
                        new Value.SetDelta(
                            List.of(TestRows.text("r" + random.nextInt(3))),
                            List.of(TestRows.text("p")))),
                dot,
                ts,
                context);
      }
      writes.add(w);
      seen[r] = seen[r].add(dot);
      s = Optional.of(RowMerge.merge(s, w, policy).state());
    }
    return s.orElseThrow();
  }
}
