package io.georep.connectors.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.client.GlobalIds;
import io.georep.connectors.postgres.internal.schema.MetadataSchema;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.testkit.Seeds;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code georep.next_id()} against two real regions' databases (region numbers 1 and 2): seeded
 * schedules of wall clocks that stand still, step back and jump, bursts of more than 4,096 ids in a
 * millisecond, and crashes of the server (SIGQUIT, recovery) in the middle; no id ever repeats,
 * each region's ids increase, and every id names its region and a time no earlier than its clock's.
 */
class GlobalIdIT {
  private static final long START_2027 = Instant.parse("2027-01-01T00:00:00Z").toEpochMilli();
  private static final int CASES = Math.min(Seeds.caseCount(), 16);

  private static final List<EmbeddedRegionDatabase> REGIONS = new ArrayList<>();
  private static final Set<Long> ISSUED = new HashSet<>();
  private static final long[] LAST = new long[2];

  @BeforeAll
  static void start() throws SQLException {
    for (int number = 1; number <= 2; number++) {
      EmbeddedRegionDatabase db = EmbeddedRegionDatabase.start();
      REGIONS.add(db);
      try (Connection c = db.connect();
          Statement s = c.createStatement()) {
        MetadataSchema.migrate(c);
        s.execute(
            "INSERT INTO georep.region_progress (region, origin, applied, heard_at, local, number)"
                + " VALUES ('r"
                + number
                + "', 'r"
                + number
                + "', 0, now(), true, "
                + number
                + ")");
      }
    }
  }

  @AfterAll
  static void stop() {
    REGIONS.forEach(EmbeddedRegionDatabase::close);
  }

  static LongStream schedules() {
    return Seeds.of("global-ids").limit(CASES);
  }

  @ParameterizedTest(name = "seed={0}")
  @MethodSource("schedules")
  void nextId_clockStepsBurstsAndCrashes_neverRepeats(long seed) throws Exception {
    Seeds.check(
        seed,
        random -> {
          try {
            long[] clock = {START_2027 + random.nextLong(86_400_000L), 0};
            clock[1] = clock[0] + random.nextLong(-60_000, 60_000);
            int crashAt = random.nextInt(3) == 0 ? -1 : random.nextInt(1_500);
            List<Connection> connections = new ArrayList<>();
            for (EmbeddedRegionDatabase db : REGIONS) {
              connections.add(db.connect());
            }
            try {
              for (int step = 0; step < 1_500; step++) {
                int r = random.nextInt(2);
                if (step == crashAt) {
                  connections.get(r).close();
                  REGIONS.get(r).crash();
                  REGIONS.get(r).startAgain();
                  connections.set(r, REGIONS.get(r).connect());
                }
                int move = random.nextInt(100);
                if (move < 3) {
                  clock[r] -= random.nextLong(1, 10_000); // NTP steps back
                } else if (move < 5) {
                  clock[r] += random.nextLong(1, 3_600_000); // a jump ahead
                } else if (move < 50) {
                  clock[r] += 1;
                }
                int burst = random.nextInt(200) == 0 ? 4_100 : 1;
                for (long id : ids(connections.get(r), clock[r], burst)) {
                  assertThat(ISSUED.add(id)).as("id %d issued twice", id).isTrue();
                  assertThat(id).isGreaterThan(LAST[r]);
                  LAST[r] = id;
                  assertThat(GlobalIds.region(id)).isEqualTo(r + 1);
                  assertThat(GlobalIds.time(id).toEpochMilli()).isGreaterThanOrEqualTo(clock[r]);
                }
              }
            } finally {
              for (Connection c : connections) {
                c.close();
              }
            }
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        });
  }

  @Test
  void nextId_concurrentSessionsOnTheRealClock_neverRepeat() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<List<Long>>> runs = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        runs.add(
            pool.submit(
                () -> {
                  List<Long> ids = new ArrayList<>();
                  try (Connection c = REGIONS.get(0).connect()) {
                    for (int i = 0; i < 2_000; i++) {
                      ids.add(GlobalIds.next(c));
                    }
                  }
                  return ids;
                }));
      }
      Set<Long> seen = new HashSet<>();
      for (Future<List<Long>> run : runs) {
        List<Long> ids = run.get();
        for (int i = 1; i < ids.size(); i++) {
          assertThat(ids.get(i)).isGreaterThan(ids.get(i - 1));
        }
        for (long id : ids) {
          assertThat(seen.add(id)).as("id %d issued twice", id).isTrue();
          assertThat(GlobalIds.region(id)).isEqualTo(1);
        }
      }
      assertThat(seen).hasSize(8_000);
    } finally {
      pool.shutdown();
    }
  }

  /** Asks for ids at one wall time, in one statement when several. */
  private static List<Long> ids(Connection c, long clockMillis, int count) throws SQLException {
    List<Long> out = new ArrayList<>();
    try (PreparedStatement s =
        c.prepareStatement("SELECT georep.next_id_at(?) FROM generate_series(1, ?)")) {
      s.setLong(1, clockMillis);
      s.setInt(2, count);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getLong(1));
        }
      }
    }
    return out;
  }
}
