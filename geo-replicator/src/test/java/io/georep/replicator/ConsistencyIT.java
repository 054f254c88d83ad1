package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.client.Consistency;
import io.georep.client.SessionToken;
import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Consistency controls against three real regions: session tokens, {@code georep.wait_for} (read
 * your writes in another region), {@code georep.wait_replicated} (commit waits), and their errors.
 */
class ConsistencyIT {
  private static final String A = "eu-west";
  private static final String B = "sa-east";
  private static final String C = "us-east";
  private static final Duration LONG = Duration.ofMinutes(1);

  private EmbeddedKafka kafka;
  private Topology topology;

  @BeforeEach
  void start() throws Exception {
    kafka = EmbeddedKafka.start();
    // A lag bound of 2 s: a region cut off for longer than the region timeout (5 s) exceeds it.
    topology =
        Topology.start(
            region -> kafka.bootstrapServers(),
            s -> s.withControl(s.control().withMaxLag(Duration.ofSeconds(2))));
  }

  @AfterEach
  void stop() throws Exception {
    Topology.closeAll(topology, kafka);
  }

  @Test
  void tokenFromOneRegion_waitForInAnother_returnsOnceTheWriteIsVisible_timesOutWhileCutOff()
      throws Exception {
    topology.db(A).execute("INSERT INTO items (id, name) VALUES (1, 'first')");
    SessionToken first;
    try (Connection a = topology.db(A).connect()) {
      first = Consistency.sessionToken(a);
      Consistency.waitFor(a, first, Duration.ZERO); // its own writes: nothing to wait for
    }
    try (Connection b = topology.db(B).connect()) {
      Consistency.waitFor(b, first, LONG);
      assertThat(count(b, "SELECT count(*) FROM items WHERE id = 1")).isEqualTo(1);
    }

    // eu-west cut off: its agent stops, so nothing it writes now leaves it.
    topology.stopAgent(A);
    topology.db(A).execute("INSERT INTO items (id, name) VALUES (2, 'while cut off')");
    SessionToken cutOff;
    try (Connection a = topology.db(A).connect()) {
      cutOff = Consistency.sessionToken(a);
    }
    assertThat(cutOff.covers(first)).isTrue();
    try (Connection b = topology.db(B).connect()) {
      assertThatThrownBy(() -> Consistency.waitFor(b, cutOff, Duration.ofSeconds(2)))
          .isInstanceOfSatisfying(
              SQLException.class, e -> assertThat(Consistency.isTimeout(e)).isTrue())
          .hasMessageContaining("georep.wait_for timed out after 00:00:02 in region " + B)
          .hasMessageContaining("it has applied " + A + " up to")
          .hasMessageContaining("the token needs")
          .hasMessageContaining("bytes of " + A + "'s WAL behind")
          .hasMessageContaining("last heard");
      assertThat(count(b, "SELECT count(*) FROM items WHERE id = 2")).isZero();
    }
    // With fail_fast, once eu-west lags in sa-east beyond control.max.lag: an error at once.
    Await.until(
        B + " alerts that " + A + " lags beyond control.max.lag",
        LONG,
        () ->
            topology.agent(B).status().alerts().stream()
                .anyMatch(a -> a.startsWith("origin " + A + " lags here by")));
    Await.until(
        "wait_for with fail_fast in " + B + " fails at once as lagging",
        LONG,
        () -> {
          try (Connection b = topology.db(B).connect()) {
            Consistency.waitForOrFailFast(b, cutOff, LONG);
            throw new AssertionError("wait_for returned while " + A + " is cut off");
          } catch (SQLException e) {
            if (Consistency.isLagging(e)) {
              assertThat(e.getMessage())
                  .contains("georep.wait_for failed fast in region " + B)
                  .contains(A + " lags here by")
                  .contains("over control.max.lag (2.0 s)");
              return true;
            }
            throw e;
          }
        });
    assertThat(get(B, "/api/wait-for?fail_fast=true&timeout=60s&token=" + cutOff).statusCode())
        .isEqualTo(503);

    // The same over HTTP, from sa-east's agent: 504 with the database's message.
    HttpResponse<String> timedOut = get(B, "/api/wait-for?timeout=1s&token=" + cutOff);
    assertThat(timedOut.statusCode()).isEqualTo(504);
    assertThat(timedOut.body())
        .contains("\"error\" : \"timeout\"")
        .contains("it has applied " + A + " up to");
    assertThat(get(B, "/api/wait-for?token=nope").statusCode()).isEqualTo(400);
    assertThat(get(B, "/api/wait-for?timeout=soon&token=" + cutOff).body())
        .contains("timeout=soon is not a duration");

    topology.startAgent(A);
    try (Connection b = topology.db(B).connect()) {
      Consistency.waitFor(b, cutOff, LONG);
      assertThat(count(b, "SELECT count(*) FROM items WHERE id = 2")).isEqualTo(1);
      // The session moves on to sa-east and writes there: its token now names both regions.
      b.createStatement().execute("INSERT INTO items (id, name) VALUES (3, 'in sa-east')");
      SessionToken both = cutOff.merge(Consistency.sessionToken(b));
      try (Connection c = topology.db(C).connect()) {
        Consistency.waitFor(c, both, LONG);
        assertThat(count(c, "SELECT count(*) FROM items WHERE id IN (2, 3)")).isEqualTo(2);
      }
    }

    // Over HTTP only: a token from eu-west's agent, sent in the header, waited for by us-east's.
    topology.db(A).execute("INSERT INTO items (id, name) VALUES (4, 'over http')");
    HttpResponse<String> issued = get(A, "/api/session-token");
    assertThat(issued.statusCode()).isEqualTo(200);
    String token = issued.body().replaceAll("(?s).*\"token\" : \"([^\"]*)\".*", "$1");
    assertThat(SessionToken.parse(token).positions()).containsKey(A);
    HttpResponse<String> applied =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + topology.agent(C).httpPort()
                                + "/api/wait-for?timeout=60s"))
                    .header("Georep-Session-Token", token)
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
    assertThat(topology.count(C, "SELECT count(*) FROM items WHERE id = 4")).isEqualTo(1);
  }

  @Test
  void waitReplicated_countsRegionsThatApplied_andTimesOutWithOneDown() throws Exception {
    SessionToken token;
    try (Connection a = topology.db(A).connect()) {
      a.createStatement().execute("INSERT INTO items (id, name) VALUES (10, 'payment')");
      token = Consistency.sessionToken(a);
      Consistency.waitReplicated(a, token, 2, LONG);
    }
    // Both others told eu-west they applied it: it is there.
    for (String region : List.of(B, C)) {
      assertThat(topology.count(region, "SELECT count(*) FROM items WHERE id = 10"))
          .as(region)
          .isEqualTo(1);
    }

    topology.stopAgent(C);
    try (Connection a = topology.db(A).connect()) {
      a.createStatement().execute("INSERT INTO items (id, name) VALUES (11, 'payment 2')");
      SessionToken second = Consistency.sessionToken(a);
      assertThatThrownBy(() -> Consistency.waitReplicated(a, second, 2, Duration.ofSeconds(3)))
          .isInstanceOfSatisfying(
              SQLException.class, e -> assertThat(Consistency.isTimeout(e)).isTrue())
          .hasMessageContaining("georep.wait_replicated timed out after 00:00:03 in region " + A)
          .hasMessageContaining("1 of the 2 regions needed have applied the token")
          .hasMessageContaining(C + " has applied " + A + " up to")
          .hasMessageContaining("last heard");
      Consistency.waitReplicated(a, second, 1, LONG);
      Consistency.waitReplicated(a, second, List.of(B), LONG);
      assertThatThrownBy(
              () -> Consistency.waitReplicated(a, second, List.of(C), Duration.ofSeconds(1)))
          .isInstanceOfSatisfying(
              SQLException.class, e -> assertThat(Consistency.isTimeout(e)).isTrue());
      assertThat(topology.count(B, "SELECT count(*) FROM items WHERE id = 11")).isEqualTo(1);
      assertThat(get(A, "/api/wait-replicated?regions=1&timeout=60s&token=" + second).statusCode())
          .isEqualTo(200);
      assertThat(
              get(A, "/api/wait-replicated?regions=" + B + "&timeout=60s&token=" + second)
                  .statusCode())
          .isEqualTo(200);
      HttpResponse<String> two =
          get(A, "/api/wait-replicated?regions=2&timeout=1s&token=" + second);
      assertThat(two.statusCode()).isEqualTo(504);
      assertThat(two.body()).contains("1 of the 2 regions needed have applied the token");

      // Bad input: each a clear error, not a wait.
      assertThatThrownBy(() -> Consistency.waitReplicated(a, second, 3, LONG))
          .hasMessageContaining(
              "regions must be between 1 and the 2 other regions heard of here, got 3")
          .hasMessageContaining("regions heard of here: " + B + ", " + C);
      assertThatThrownBy(() -> Consistency.waitReplicated(a, second, List.of("nowhere"), LONG))
          .hasMessageContaining("nowhere is not another region heard of here");
      // The token and the wait in one statement: the token's tick would commit only after the
      // wait, so it is refused at once rather than left to time out.
      assertThatThrownBy(
              () -> {
                try (Statement s = a.createStatement()) {
                  s.executeQuery(
                      "SELECT georep.wait_replicated(georep.session_token(), 1, interval '1 min')");
                }
              })
          .hasMessageContaining("called in a transaction that has written")
          .hasMessageContaining("in a statement of its own");
    }
  }

  @Test
  void tokens_sqlAgreesWithTheJavaClient_andMisuseIsAClearError() throws Exception {
    long seed = new SplittableRandom().nextLong();
    System.out.println("ConsistencyIT token seed " + seed);
    SplittableRandom random = new SplittableRandom(seed);
    List<String> regions = List.of(A, B, C, "ap-south");
    try (Connection a = topology.db(A).connect();
        PreparedStatement merge = a.prepareStatement("SELECT georep.merge_tokens(?, ?)")) {
      for (int i = 0; i < 200; i++) {
        SessionToken x = randomToken(random, regions);
        SessionToken y = randomToken(random, regions);
        merge.setString(1, x.toString());
        merge.setString(2, y.toString());
        try (ResultSet rs = merge.executeQuery()) {
          rs.next();
          assertThat(rs.getString(1))
              .as("seed " + seed + " case " + i)
              .isEqualTo(x.merge(y).toString());
        }
      }

      // A token names committed work: inside a transaction that wrote, it is refused.
      a.setAutoCommit(false);
      a.createStatement().execute("INSERT INTO items (id, name) VALUES (20, 'open')");
      assertThatThrownBy(() -> Consistency.sessionToken(a))
          .hasMessageContaining("called in a transaction that has written")
          .hasMessageContaining("COMMIT first");
      a.rollback();
      a.setAutoCommit(true);

      assertThatThrownBy(
              () -> {
                try (Statement s = a.createStatement()) {
                  s.executeQuery("SELECT georep.wait_for('not a token')");
                }
              })
          .hasMessageContaining("malformed session token \"not a token\"");

      a.createStatement().execute("BEGIN ISOLATION LEVEL REPEATABLE READ");
      assertThatThrownBy(() -> Consistency.waitFor(a, SessionToken.empty(), LONG))
          .hasMessageContaining(
              "georep.wait_for needs READ COMMITTED; this transaction is" + " REPEATABLE READ");
      a.createStatement().execute("ROLLBACK");
    }

    // An application's own role needs only USAGE on the schema: the functions run as the agent.
    topology
        .db(A)
        .execute(
            "CREATE ROLE app LOGIN",
            "GRANT USAGE ON SCHEMA georep TO app",
            "GRANT INSERT, SELECT ON items TO app");
    Map<String, Long> before = new HashMap<>();
    try (Connection app =
        java.sql.DriverManager.getConnection(topology.db(A).jdbcUrl(), "app", "")) {
      app.createStatement().execute("INSERT INTO items (id, name) VALUES (21, 'by app')");
      SessionToken t = Consistency.sessionToken(app);
      before.putAll(t.positions());
      assertThat(before).containsKey(A);
      try (Connection b = topology.db(B).connect()) {
        Consistency.waitFor(b, t, LONG);
        assertThat(count(b, "SELECT count(*) FROM items WHERE id = 21")).isEqualTo(1);
      }
    }
  }

  private HttpResponse<String> get(String region, String path) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + topology.agent(region).httpPort() + path))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static SessionToken randomToken(SplittableRandom random, List<String> regions) {
    Map<String, Long> positions = new HashMap<>();
    for (String r : regions) {
      if (random.nextBoolean()) {
        positions.put(
            r, random.nextBoolean() ? random.nextLong(1, 4) : random.nextLong(1, Long.MAX_VALUE));
      }
    }
    return SessionToken.of(positions);
  }

  private static long count(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
