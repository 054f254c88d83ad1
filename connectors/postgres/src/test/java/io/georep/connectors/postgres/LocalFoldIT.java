package io.georep.connectors.postgres;

import static io.georep.connectors.postgres.ApplyFixture.context;
import static io.georep.connectors.postgres.ApplyFixture.delete;
import static io.georep.connectors.postgres.ApplyFixture.execute;
import static io.georep.connectors.postgres.ApplyFixture.insert;
import static io.georep.connectors.postgres.ApplyFixture.rows;
import static io.georep.connectors.postgres.ApplyFixture.tx;
import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.ScalarType;
import io.georep.connector.SourceTransaction;
import io.georep.connector.TableSchema;
import io.georep.publication.Publication;
import io.georep.testkit.EmbeddedRegionDatabase;
import io.georep.vectorclock.ReplicaId;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The fold of local transactions after a remote write was applied to a row that local writes had
 * inserted and deleted again before any of them was folded (the region was cut off from Kafka):
 * nothing in the table or the metadata showed them, so the remote insert went in; the folds must
 * then bring the table to the merged state, as in every other region.
 */
class LocalFoldIT {
  private static final ReplicaId EU = ReplicaId.of("eu-west");
  private static final ReplicaId US = ReplicaId.of("us-east");
  private static final ReplicaId AP = ReplicaId.of("ap-south");

  private static final Publication PUBLICATION =
      CaptureFixture.publication(
          """
          publication: orders
          regions: all
          operations: [insert, update, delete]
          tables:
            - table: public.orders
          """);

  private static final TableSchema ORDERS = ApplyFixture.table("orders", "v", ScalarType.TEXT);

  @Test
  void localInsertAndDeleteUnfolded_remoteInsertApplied_foldsRemoveTheRowAsEverywhere()
      throws Exception {
    try (EmbeddedRegionDatabase one = PgVersion.PG17.start();
        EmbeddedRegionDatabase two = PgVersion.PG17.start()) {
      for (EmbeddedRegionDatabase db : List.of(one, two)) {
        try (Connection c = db.connect()) {
          execute(c, "CREATE TABLE orders (id int PRIMARY KEY, v text)");
        }
      }
      try (PostgresChangeApplier eu =
              PostgresChangeApplier.start(ApplyFixture.config(one, EU, PUBLICATION));
          PostgresChangeApplier ap =
              PostgresChangeApplier.start(ApplyFixture.config(two, AP, PUBLICATION))) {
        // us-east inserted order 114 first; eu-west, cut off, inserted it too and deleted it.
        SourceTransaction remote = tx(US, 10, 1_000, context(), insert(ORDERS, 114, "v", "us"));
        SourceTransaction localInsert =
            tx(EU, 50, 2_000, context(), insert(ORDERS, 114, "v", "eu"));
        SourceTransaction localDelete = tx(EU, 60, 3_000, context(EU, 50), delete(ORDERS, 114));
        try (Connection c = one.connect()) {
          execute(
              c,
              "INSERT INTO orders VALUES (114, 'eu')",
              "DELETE FROM orders WHERE id = 114",
              "INSERT INTO georep.xid_stamp (origin, seq, xid, xid32, hlc_wall, hlc_logical,"
                  + " causal_context) VALUES ('eu-west', 50, 1, 1, 2000, 0, ''::bytea),"
                  + " ('eu-west', 60, 2, 2, 3000, 0, ''::bytea)");
        }
        // Healed: the remote insert arrives before the local transactions are folded.
        eu.apply(List.of(remote));
        assertThat(table(one)).containsExactly("id=114,v=us");
        eu.foldLocal(List.of(localInsert));
        eu.foldLocal(List.of(localDelete));

        for (SourceTransaction t : List.of(remote, localInsert, localDelete)) {
          ap.apply(List.of(t));
        }
        assertThat(table(two)).isEmpty();
        assertThat(table(one)).as("eu-west, as ap-south").isEmpty();
      }
    }
  }

  private static List<String> table(EmbeddedRegionDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      return rows(c, "SELECT id, v FROM orders ORDER BY id");
    }
  }
}
