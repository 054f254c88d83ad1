package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import io.georep.testkit.EmbeddedRegionDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The schema of {@code pgbench -i} with {@code REPLICA IDENTITY FULL} on every table and the three
 * balances as counters, loaded in one region before the agents start (the others are empty and
 * receive the initial copy), then pgbench's built-in TPC-B-like transaction run in all three
 * regions at once. {@code pgbench_history} has no key and a nullable {@code filler} that stays
 * NULL: it replicates as a multiset. Afterwards every table is identical in every region, and every
 * balance equals the sum of the deltas the history recorded for it. Replay with {@code
 * -Dgeorep.seed=<seed>}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PgbenchWorkloadIT {
  private static final int ACCOUNTS = 10_000;
  private static final int TELLERS = 10;
  private static final int TRANSACTIONS_PER_REGION = 300;
  private static final int COPIED_HISTORY = 100;

  private static final String SCHEMA =
      """
      CREATE TABLE pgbench_branches (bid int NOT NULL PRIMARY KEY, bbalance int,
                                     filler char(88));
      CREATE TABLE pgbench_tellers (tid int NOT NULL PRIMARY KEY, bid int, tbalance int,
                                    filler char(84));
      CREATE TABLE pgbench_accounts (aid int NOT NULL PRIMARY KEY, bid int, abalance int,
                                     filler char(84));
      CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp,
                                    filler char(22));
      ALTER TABLE pgbench_branches REPLICA IDENTITY FULL;
      ALTER TABLE pgbench_tellers REPLICA IDENTITY FULL;
      ALTER TABLE pgbench_accounts REPLICA IDENTITY FULL;
      ALTER TABLE pgbench_history REPLICA IDENTITY FULL;
      CREATE TABLE markers (region text PRIMARY KEY, v int NOT NULL);
      """;

  private static final String PUBLICATION =
      """
      publication: pgbench
      regions: all
      operations: [insert, update, delete]
      tables:
        - table: public.pgbench_branches
          column-resolvers: {bbalance: counter}
        - table: public.pgbench_tellers
          column-resolvers: {tbalance: counter}
        - table: public.pgbench_accounts
          column-resolvers: {abalance: counter}
        - table: public.pgbench_history
        - table: public.markers
      """;

  /** What {@code pgbench -i} writes, at a tenth of scale 1's accounts. */
  private static final String LOAD =
      "INSERT INTO pgbench_branches (bid, bbalance) VALUES (1, 0);"
          + " INSERT INTO pgbench_tellers (tid, bid, tbalance)"
          + " SELECT t, 1, 0 FROM generate_series(1, "
          + TELLERS
          + ") t;"
          + " INSERT INTO pgbench_accounts (aid, bid, abalance, filler)"
          + " SELECT a, 1, 0, '' FROM generate_series(1, "
          + ACCOUNTS
          + ") a;"
          // Equal rows with a NULL filler that exist before the agent starts: the initial copy.
          + " INSERT INTO pgbench_history (tid, bid, aid, delta, mtime)"
          + " SELECT 1, 1, 1, 0, '2026-01-01' FROM generate_series(1, "
          + COPIED_HISTORY
          + ");";

  private static final Topology.Replicated PGBENCH =
      new Topology.Replicated(
          SCHEMA,
          PUBLICATION,
          List.of(
              "SELECT bid, bbalance, filler FROM pgbench_branches ORDER BY bid",
              "SELECT tid, bid, tbalance, filler FROM pgbench_tellers ORDER BY tid",
              "SELECT aid, bid, abalance, filler FROM pgbench_accounts ORDER BY aid",
              "SELECT tid, bid, aid, delta, mtime, filler FROM pgbench_history"
                  + " ORDER BY 1, 2, 3, 4, 5, 6",
              "SELECT region, v FROM markers ORDER BY region"));

  private EmbeddedKafka kafka;
  private Topology topology;

  @BeforeAll
  void start() throws Exception {
    kafka = EmbeddedKafka.start();
    topology =
        Topology.start(
            PGBENCH, region -> kafka.bootstrapServers(), s -> s, Map.of("eu-west", LOAD));
  }

  @AfterAll
  void stop() throws Exception {
    Topology.closeAll(topology, kafka);
  }

  @Test
  void tpcbLikeTransactionsInThreeRegions_converge_balancesEqualHistory() throws Exception {
    long seed = Long.getLong("georep.seed", System.nanoTime());
    System.out.println("PgbenchWorkloadIT seed=" + seed + " (replay: -Dgeorep.seed=" + seed + ")");
    Await.until(
        "the loaded accounts and history reach every region",
        Duration.ofMinutes(2),
        () -> {
          for (String region : Topology.REGIONS) {
            List<String> n =
                topology
                    .db(region)
                    .rows(
                        "SELECT (SELECT count(*) FROM pgbench_accounts) AS a,"
                            + " (SELECT count(*) FROM pgbench_history) AS h");
            if (!n.equals(List.of("a=" + ACCOUNTS + ",h=" + COPIED_HISTORY))) {
              return false;
            }
          }
          return true;
        });
    Topology.inEveryRegion(
        (region, i) -> tpcb(topology.db(region), new SplittableRandom(seed + i)));

    topology.awaitQuiescence(Duration.ofMinutes(3));
    topology.assertConverged();
    for (String region : Topology.REGIONS) {
      EmbeddedRegionDatabase db = topology.db(region);
      assertThat(db.rows("SELECT count(*) FROM pgbench_history"))
          .as("history rows in %s (seed %d)", region, seed)
          .containsExactly("count=" + (COPIED_HISTORY + 3 * TRANSACTIONS_PER_REGION));
      assertThat(
              db.rows(
                  "SELECT count(*) FROM pgbench_accounts a WHERE a.abalance <> (SELECT"
                      + " coalesce(sum(delta), 0) FROM pgbench_history h WHERE h.aid = a.aid)"))
          .as(
              "accounts whose balance is not the sum of their deltas, in %s (seed %d)",
              region, seed)
          .containsExactly("count=0");
      assertThat(
              db.rows(
                  "SELECT (SELECT sum(tbalance) FROM pgbench_tellers) = (SELECT sum(delta) FROM"
                      + " pgbench_history) AND (SELECT bbalance FROM pgbench_branches) = (SELECT"
                      + " sum(delta) FROM pgbench_history) AS balanced"))
          .as("teller and branch balances in %s (seed %d)", region, seed)
          .containsExactly("balanced=t");
    }
  }

  /** pgbench's built-in "TPC-B (sort of)" script, one transaction at a time. */
  private static void tpcb(EmbeddedRegionDatabase db, SplittableRandom random) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement account =
            c.prepareStatement(
                "UPDATE pgbench_accounts SET abalance = abalance + ? WHERE aid = ?");
        PreparedStatement read =
            c.prepareStatement("SELECT abalance FROM pgbench_accounts WHERE aid = ?");
        PreparedStatement teller =
            c.prepareStatement("UPDATE pgbench_tellers SET tbalance = tbalance + ? WHERE tid = ?");
        PreparedStatement branch =
            c.prepareStatement(
                "UPDATE pgbench_branches SET bbalance = bbalance + ? WHERE bid = ?");
        PreparedStatement history =
            c.prepareStatement(
                "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime)"
                    + " VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)")) {
      c.setAutoCommit(false);
      for (int t = 0; t < TRANSACTIONS_PER_REGION; t++) {
        // Few accounts, so that regions update the same rows concurrently.
        int aid = 1 + random.nextInt(50);
        int tid = 1 + random.nextInt(TELLERS);
        int delta = random.nextInt(-5000, 5001);
        account.setInt(1, delta);
        account.setInt(2, aid);
        account.executeUpdate();
        read.setInt(1, aid);
        read.executeQuery().close();
        teller.setInt(1, delta);
        teller.setInt(2, tid);
        teller.executeUpdate();
        branch.setInt(1, delta);
        branch.setInt(2, 1);
        branch.executeUpdate();
        history.setInt(1, tid);
        history.setInt(2, 1);
        history.setInt(3, aid);
        history.setInt(4, delta);
        history.executeUpdate();
        c.commit();
      }
    }
  }
}
