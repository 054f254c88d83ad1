package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import io.georep.vectorclock.ReplicaId;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A corrupt frame written straight into one origin's stream halts only that origin's apply, in
 * every region that receives it, with an alert in {@code /health} naming topic, partition and
 * offset; the other origins keep flowing.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PoisonRecordIT {
  private EmbeddedKafka kafka;
  private Topology topology;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  void start() throws Exception {
    kafka = EmbeddedKafka.start();
    topology = Topology.start(region -> kafka.bootstrapServers(), s -> s);
  }

  @AfterAll
  void stop() throws Exception {
    Topology.closeAll(topology, kafka);
  }

  @Test
  void corruptFrame_haltsOnlyItsOrigin_withHealthAlertNamingTheRecord() throws Exception {
    topology.db("us-east").execute("INSERT INTO parents (id, name) VALUES (1, 'before')");
    awaitRow("eu-west", "SELECT name FROM parents WHERE id = 1", "name=before");

    long offset = Topology.writeCorruptFrame(kafka.bootstrapServers(), "georep.us-east.changes");
    topology.db("us-east").execute("INSERT INTO parents (id, name) VALUES (2, 'after poison')");
    topology.db("sa-east").execute("INSERT INTO parents (id, name) VALUES (3, 'from sa-east')");

    // The other origin continues.
    awaitRow("eu-west", "SELECT name FROM parents WHERE id = 3", "name=from sa-east");
    String expected = "topic georep.us-east.changes partition 0 offset " + offset;
    for (String region : new String[] {"eu-west", "sa-east"}) {
      Agent agent = topology.agents.get(region);
      Await.until(
          region + " halts us-east",
          Duration.ofMinutes(1),
          () -> agent.status().origins().get("us-east").halt().isPresent());
      HttpResponse<String> health = get(agent, "/health");
      assertThat(health.statusCode()).isEqualTo(503);
      assertThat(health.body())
          .contains("\"ready\" : false")
          .contains("poison record in " + expected)
          .contains("georep resync " + region + " --from us-east")
          .contains("\"us-east\"");
      assertThat(agent.status().origins().get(otherOrigin(region)).state()).isEqualTo("running");
      assertThat(get(agent, "/health/live").statusCode()).isEqualTo(200);
      assertThat(get(agent, "/metrics").body())
          .contains("georep_origin_halted{origin=\"us-east\",region=\"" + region + "\"} 1.0");
      assertThat(get(agent, "/api/status").body()).contains("\"halt\"").contains(expected);
    }
    // Nothing after the poison record is applied: the row written after it never arrives, and
    // the applied watermark of us-east stays where it was.
    long watermark = topology.agents.get("eu-west").appliedVector().get(ReplicaId.of("us-east"));
    topology.db("sa-east").execute("INSERT INTO parents (id, name) VALUES (4, 'later')");
    awaitRow("eu-west", "SELECT name FROM parents WHERE id = 4", "name=later");
    assertThat(topology.db("eu-west").rows("SELECT name FROM parents WHERE id = 2")).isEmpty();
    assertThat(topology.agents.get("eu-west").appliedVector().get(ReplicaId.of("us-east")))
        .isEqualTo(watermark);
  }

  private static String otherOrigin(String region) {
    return region.equals("eu-west") ? "sa-east" : "eu-west";
  }

  private HttpResponse<String> get(Agent agent, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + agent.httpPort() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private void awaitRow(String region, String sql, String row) throws Exception {
    Await.until(
        row + " in " + region,
        Duration.ofMinutes(1),
        () -> topology.db(region).rows(sql).contains(row));
  }
}
