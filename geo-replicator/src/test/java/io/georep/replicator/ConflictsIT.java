package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.georep.replicator.cli.GeorepCommand;
import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The conflict log as a tool, against three real regions with real conflicts (two regions write the
 * same rows while their agents are stopped): {@code georep conflicts} and {@code /api/conflicts}
 * return exactly the rows of {@code georep.conflict_log} that a filter selects (as text, JSON lines
 * and CSV), {@code --follow} prints rows logged after it started, and {@code what-if} reports
 * exactly the outcomes another resolver would change.
 */
class ConflictsIT {
  private static final ObjectMapper JSON = new ObjectMapper();

  private EmbeddedKafka kafka;
  private Topology topology;
  private final Map<String, Path> configs = new LinkedHashMap<>();

  @BeforeEach
  void start(@TempDir Path dir) throws Exception {
    kafka = EmbeddedKafka.start();
    topology = Topology.start(region -> kafka.bootstrapServers(), s -> s);
    configs.putAll(topology.writeConfigs(dir, kafka.bootstrapServers()));
  }

  @AfterEach
  void stop() throws Exception {
    Topology.closeAll(topology, kafka);
  }

  @Test
  void conflicts_listFilterFollowAndWhatIf_matchTheLog() throws Exception {
    createConflicts(topology);

    for (String region : List.of("eu-west", "us-east")) {
      assertThat(ids(region, "true")).as(region + " logged conflicts").isNotEmpty();
    }
    String eu = configs.get("eu-west").toString();

    // Every row, as JSON lines, then filtered, each against the same filter in SQL.
    assertThat(jsonIds(CliResult.georep("conflicts", "-c", eu, "--json")))
        .isEqualTo(ids("eu-west", "true"));
    assertThat(
            jsonIds(
                CliResult.georep(
                    "conflicts", "-c", eu, "--json", "--type", "update-delete,delete-update")))
        .isNotEmpty()
        .isEqualTo(ids("eu-west", "type IN ('update-delete', 'delete-update')"));
    assertThat(
            jsonIds(
                CliResult.georep(
                    "conflicts", "-c", eu, "--json", "--table", "public.items", "--key", "1")))
        .isNotEmpty()
        .isEqualTo(ids("eu-west", "table_name = 'items' AND row_key = '[1]'"));
    assertThat(jsonIds(CliResult.georep("conflicts", "-c", eu, "--json", "--table", "accounts")))
        .isNotEmpty()
        .isEqualTo(ids("eu-west", "table_name = 'accounts'"));
    assertThat(jsonIds(CliResult.georep("conflicts", "-c", eu, "--json", "--since", "1h")))
        .isEqualTo(ids("eu-west", "true"));
    assertThat(jsonIds(CliResult.georep("conflicts", "-c", eu, "--json", "--until", "1h")))
        .isEmpty();
    List<Long> all = ids("eu-west", "true");
    assertThat(
            jsonIds(
                CliResult.georep(
                    "conflicts",
                    "-c",
                    eu,
                    "--json",
                    "--after",
                    all.get(0).toString(),
                    "--limit",
                    "1")))
        .containsExactlyElementsOf(all.subList(1, Math.min(2, all.size())));

    // A JSON row carries both versions as the log holds them.
    JsonNode first = JSON.readTree(lines(CliResult.georep("conflicts", "-c", eu, "--json")).get(0));
    JsonNode stored =
        JSON.readTree(
            topology
                .db("eu-west")
                .rows(
                    "SELECT jsonb_build_object('local', local, 'remote', remote, 'key', row_key)"
                        + " AS j FROM georep.conflict_log WHERE id = "
                        + first.get("id").asLong())
                .get(0)
                .substring(2));
    assertThat(first.get("local")).isEqualTo(stored.get("local"));
    assertThat(first.get("remote")).isEqualTo(stored.get("remote"));
    assertThat(first.get("key")).isEqualTo(stored.get("key"));

    // Text and CSV list the same rows.
    CliResult text = CliResult.georep("conflicts", "-c", eu);
    assertThat(text.code()).as(text.err()).isZero();
    assertThat(text.out()).contains(all.size() + " conflicts in region eu-west");
    for (long id : all) {
      assertThat(text.out()).contains("#" + id + "  ");
    }
    CliResult csv = CliResult.georep("conflicts", "-c", eu, "--csv");
    assertThat(csv.out().lines().findFirst())
        .contains(
            "id,detected_at,conflict_id,type,table,key,resolver,winner,columns,local,remote,"
                + "kept_loser");
    assertThat(
            csv.out()
                .lines()
                .skip(1)
                .map(l -> Long.parseLong(l.substring(0, l.indexOf(','))))
                .toList())
        .isEqualTo(all);

    // Bad input names the option.
    CliResult bad = CliResult.georep("conflicts", "-c", eu, "--type", "update-upsert");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("type 'update-upsert' is not a conflict type");
    CliResult badTime = CliResult.georep("conflicts", "-c", eu, "--since", "yesterday");
    assertThat(badTime.code()).isEqualTo(2);
    assertThat(badTime.err()).contains("since 'yesterday' is neither an instant");

    // The same through HTTP, in every region.
    HttpClient http = HttpClient.newHttpClient();
    for (String region : Topology.REGIONS) {
      assertThat(apiIds(http, region, "")).isEqualTo(ids(region, "true"));
      assertThat(apiIds(http, region, "type=update-update-same-columns&table=items"))
          .isEqualTo(ids(region, "type = 'update-update-same-columns' AND table_name = 'items'"));
    }
    HttpResponse<String> badApi = get(http, "eu-west", "type=nope");
    assertThat(badApi.statusCode()).isEqualTo(400);
    assertThat(badApi.body()).contains("is not a conflict type");

    // What-if: under lww (what decided them) nothing changes; under delete-wins exactly the
    // conflicts an update won against a delete.
    for (String region : List.of("eu-west", "us-east")) {
      String config = configs.get(region).toString();
      CliResult lwwRun =
          CliResult.georep("conflicts", "what-if", "-c", config, "--resolver", "lww", "--json");
      assertThat(lwwRun.code()).as(lwwRun.out() + lwwRun.err()).isZero();
      JsonNode lww = JSON.readTree(lwwRun.out());
      assertThat(lww.get("replayed").asInt()).isEqualTo(ids(region, "true").size());
      assertThat(lww.get("changed").asInt()).as(region + " " + lww).isZero();
      CliResult dw =
          CliResult.georep(
              "conflicts", "what-if", "-c", config, "--resolver", "delete-wins", "--json");
      assertThat(dw.code()).as(dw.err()).isZero();
      List<Long> changed = new ArrayList<>();
      for (JsonNode c : JSON.readTree(dw.out()).get("changes")) {
        changed.add(c.get("id").asLong());
        assertThat(c.get("replayedWinner").asText()).isNotEqualTo(c.get("winner").asText());
      }
      assertThat(changed)
          .as(region)
          .isNotEmpty()
          .isEqualTo(
              ids(
                  region,
                  "(type = 'update-delete' AND winner = 'remote')"
                      + " OR (type = 'delete-update' AND winner = 'local')"));
    }
    CliResult whatIfText =
        CliResult.georep("conflicts", "what-if", "-c", eu, "--resolver", "delete-wins");
    assertThat(whatIfText.out())
        .contains("what-if delete-wins in region eu-west")
        .contains("-> local by delete-wins");
    CliResult unknown = CliResult.georep("conflicts", "what-if", "-c", eu, "--resolver", "nope");
    assertThat(unknown.code()).isEqualTo(1);
    assertThat(unknown.err()).contains("nope");

    // --follow prints the rows logged after it started.
    StringWriter out = new StringWriter();
    CommandLine cl = GeorepCommand.commandLine();
    cl.setOut(new PrintWriter(out, true));
    cl.setErr(new PrintWriter(new StringWriter(), true));
    long last = all.get(all.size() - 1);
    Thread follow =
        new Thread(
            () -> cl.execute("conflicts", "-c", eu, "--json", "--follow", "--interval", "100ms"));
    follow.start();
    try {
      Await.until(
          "--follow prints the existing rows",
          Duration.ofSeconds(30),
          () -> out.toString().lines().count() == all.size());
      topology
          .db("eu-west")
          .execute(
              "INSERT INTO georep.conflict_log (conflict_id, type, table_schema, table_name,"
                  + " row_key, resolver, winner, columns, local, remote)"
                  + " SELECT conflict_id, type, table_schema, table_name, row_key, resolver,"
                  + " winner, columns, local, remote FROM georep.conflict_log WHERE id = "
                  + last);
      Await.until(
          "--follow prints the new row",
          Duration.ofSeconds(30),
          () -> out.toString().lines().count() == all.size() + 1);
      assertThat(
              JSON.readTree(out.toString().lines().reduce((a, b) -> b).orElseThrow())
                  .get("id")
                  .asLong())
          .isGreaterThan(last);
    } finally {
      follow.interrupt();
      follow.join(10_000);
    }
    assertThat(follow.isAlive()).isFalse();
  }

  /**
   * Makes conflicts of several types on items and accounts: eu-west and sa-east write the same rows
   * while their agents are stopped (sa-east later, so under lww its writes are the later ones),
   * then both agents start again and every region converges.
   */
  static void createConflicts(Topology topology) throws Exception {
    topology
        .db("eu-west")
        .execute(
            "INSERT INTO items (id, name) SELECT g, 'base' FROM generate_series(1, 6) g",
            "INSERT INTO accounts (id, email, note) VALUES (1, 'a@example.com', 'base')");
    topology.awaitQuiescence(Duration.ofMinutes(1));
    topology.stopAgent("eu-west");
    topology.stopAgent("sa-east");
    // eu-west first, sa-east later: under lww sa-east's writes are the later ones.
    topology
        .db("eu-west")
        .execute(
            "UPDATE items SET name = 'eu' WHERE id IN (1, 2, 4)",
            "DELETE FROM items WHERE id = 3",
            "UPDATE accounts SET note = 'eu' WHERE id = 1");
    Thread.sleep(20);
    topology
        .db("sa-east")
        .execute(
            "UPDATE items SET name = 'sa' WHERE id IN (1, 3)",
            "UPDATE items SET qty = qty + 5 WHERE id = 2",
            "DELETE FROM items WHERE id = 4",
            "UPDATE accounts SET note = 'sa' WHERE id = 1");
    topology.startAgent("eu-west");
    topology.startAgent("sa-east");
    topology.awaitReady(Duration.ofMinutes(1));
    topology.awaitQuiescence(Duration.ofMinutes(2));
    topology.assertConverged();
  }

  private List<Long> ids(String region, String where) throws Exception {
    List<Long> ids = new ArrayList<>();
    for (String row :
        topology
            .db(region)
            .rows("SELECT id FROM georep.conflict_log WHERE " + where + " ORDER BY id")) {
      ids.add(Long.parseLong(row.substring(row.indexOf('=') + 1)));
    }
    return ids;
  }

  private static List<String> lines(CliResult r) {
    assertThat(r.code()).as(r.err()).isZero();
    return r.out().lines().filter(l -> !l.isBlank()).toList();
  }

  private static List<Long> jsonIds(CliResult r) throws Exception {
    List<Long> ids = new ArrayList<>();
    for (String line : lines(r)) {
      ids.add(JSON.readTree(line).get("id").asLong());
    }
    return ids;
  }

  private HttpResponse<String> get(HttpClient http, String region, String query) throws Exception {
    URI uri =
        URI.create(
            "http://127.0.0.1:"
                + topology.agent(region).httpPort()
                + "/api/conflicts"
                + (query.isEmpty() ? "" : "?" + query));
    return http.send(
        HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private List<Long> apiIds(HttpClient http, String region, String query) throws Exception {
    HttpResponse<String> r = get(http, region, query);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.get("region").asText()).isEqualTo(region);
    List<Long> ids = new ArrayList<>();
    for (JsonNode c : body.get("conflicts")) {
      ids.add(c.get("id").asLong());
    }
    if (!ids.isEmpty()) {
      assertThat(body.get("next").asLong()).isEqualTo(ids.get(ids.size() - 1));
    }
    return ids;
  }
}
