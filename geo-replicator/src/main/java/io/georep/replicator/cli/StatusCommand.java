package io.georep.replicator.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.georep.replicator.internal.status.CopyProgress;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code georep status --url …}: a running agent's regions, lag and conflicts. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Shows a running agent's state from its /api/status: whether it is ready, the capture,"
          + " the lag of every origin in time and transactions, the regions' heartbeats,"
          + " conflicts per table, the initial copy's progress and alerts."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the agent is ready (every stream runs)",
      "1:the agent is not ready, cannot be reached, or did not answer with a status",
      "2:usage error"
    })
final class StatusCommand implements Callable<Integer> {
  @Option(
      names = {"-u", "--url"},
      defaultValue = "http://127.0.0.1:9464",
      paramLabel = "URL",
      description =
          "The agent's HTTP endpoint (its http.host and http.port), for example --url"
              + " http://10.0.0.5:9464. Default: ${DEFAULT-VALUE}.")
  String url;

  @Option(
      names = "--json",
      description =
          "Print the /api/status JSON document as it is (for scripts), instead of the summary.")
  boolean json;

  @Option(
      names = "--timeout",
      defaultValue = "10",
      paramLabel = "SECONDS",
      description = "How long to wait for the agent's answer. Default: ${DEFAULT-VALUE} s.")
  int timeoutSeconds;

  @Option(
      names = "--token-env",
      defaultValue = "GEOREP_HTTP_TOKEN",
      paramLabel = "NAME",
      description =
          "The environment variable holding the agent's http.token, sent as a bearer token when"
              + " it is set. Default: ${DEFAULT-VALUE}.")
  String tokenEnv;

  @Option(
      names = "--cacert",
      paramLabel = "FILE",
      description =
          "PEM file of the certificate authority that signed the agent's certificate, for an"
              + " https:// URL whose certificate the JVM does not trust by default.")
  java.nio.file.Path caCert;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    URI uri;
    try {
      uri = URI.create(url.replaceAll("/+$", "") + "/api/status");
      if (uri.getScheme() == null || !uri.getScheme().startsWith("http")) {
        throw new IllegalArgumentException("not an http:// URL");
      }
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--url '" + url + "' is not a valid URL (" + e.getMessage() + ")",
          e,
          null,
          url);
    }
    HttpResponse<String> response;
    try {
      HttpClient.Builder client =
          HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(timeoutSeconds));
      if (caCert != null) {
        client.sslContext(trusting(caCert));
      }
      HttpRequest.Builder request =
          HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(timeoutSeconds));
      String token = System.getenv(tokenEnv);
      if (token != null && !token.isEmpty()) {
        request.header("Authorization", "Bearer " + token);
      }
      response = client.build().send(request.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      String why =
          e instanceof java.net.ConnectException
              ? "connection refused"
              : e instanceof java.net.http.HttpTimeoutException
                  ? "no answer within " + timeoutSeconds + " s"
                  : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      err.println(
          "cannot reach the agent at "
              + url
              + ": "
              + why
              + " — is it running, and is --url its http.host:http.port?");
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
    JsonNode doc;
    try {
      doc = new ObjectMapper().readTree(response.body());
    } catch (JsonProcessingException e) {
      doc = null;
    }
    if (response.statusCode() == 401) {
      err.println(
          uri
              + " wants the agent's http.token: set it in the environment variable "
              + tokenEnv
              + (System.getenv(tokenEnv) == null
                  ? " (it is not set)"
                  : " (its value was refused)"));
      return 1;
    }
    if (response.statusCode() != 200 || doc == null || !doc.has("region")) {
      err.println(
          uri
              + " answered HTTP "
              + response.statusCode()
              + " without an agent status — is --url a georep agent's http.host:http.port?");
      return 1;
    }
    boolean ready = doc.path("ready").asBoolean(false);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(response.body());
    } else {
      render(doc, out);
    }
    out.flush();
    return ready ? 0 : 1;
  }

  private static void render(JsonNode doc, PrintWriter out) {
    boolean ready = doc.path("ready").asBoolean(false);
    out.println(
        "georep agent of region "
            + doc.path("region").asText()
            + ": "
            + (ready ? "READY" : "NOT READY (a stream is starting or halted; see below)"));
    JsonNode capture = doc.path("capture");
    out.printf(
        Locale.ROOT,
        "capture: %s, captured seq %d, shipped seq %d, %d transactions shipped%s%n",
        capture.path("state").asText("?"),
        capture.path("capturedSeq").asLong(),
        capture.path("shippedSeq").asLong(),
        capture.path("transactionsShipped").asLong(),
        capture.has("error") ? " — last error: " + capture.path("error").asText() : "");
    JsonNode copy = doc.path("initialCopy");
    if (copy.size() > 0) {
      out.println("initial copy:");
      for (Map.Entry<String, JsonNode> e : copy.properties()) {
        JsonNode t = e.getValue();
        int percent = t.path("percent").asInt(-1);
        long rate = t.path("rowsPerSecond").asLong(0);
        long eta = t.path("etaSeconds").asLong(-1);
        out.printf(
            Locale.ROOT,
            "  %-32s %,d rows%s%s%s%n",
            e.getKey(),
            t.path("rowsCopied").asLong(),
            t.path("done").asBoolean()
                ? ", done"
                : percent < 0 ? "" : String.format(Locale.ROOT, " (%d%%)", percent),
            rate > 0 ? String.format(Locale.ROOT, ", %,d rows/s", rate) : "",
            t.path("done").asBoolean() || eta < 0
                ? ""
                : ", about " + CopyProgress.duration(eta) + " left");
      }
    }
    out.println("origins (applied here):");
    out.printf(
        Locale.ROOT,
        "  %-16s %-10s %14s %10s %10s %10s%n",
        "ORIGIN",
        "STATE",
        "APPLIED SEQ",
        "LAG TX",
        "LAG S",
        "RECORDS");
    JsonNode origins = doc.path("origins");
    if (origins.size() == 0) {
      out.println("  (none)");
    }
    for (Map.Entry<String, JsonNode> e : origins.properties()) {
      JsonNode o = e.getValue();
      long records = o.path("lagRecords").asLong(-1);
      out.printf(
          Locale.ROOT,
          "  %-16s %-10s %14d %10d %10.1f %10s%n",
          e.getKey(),
          o.path("state").asText("?"),
          o.path("appliedSeq").asLong(),
          o.path("lagTransactions").asLong(),
          o.path("lagSeconds").asDouble(),
          records < 0 ? "?" : Long.toString(records));
      if (o.has("halt")) {
        out.println("    HALTED: " + o.path("halt").asText());
      }
    }
    out.println("regions (heartbeats):");
    for (Map.Entry<String, JsonNode> e : doc.path("regions").properties()) {
      JsonNode r = e.getValue();
      out.printf(
          Locale.ROOT,
          "  %-16s %-5s last heartbeat %s, shipped seq %d%n",
          e.getKey(),
          r.path("up").asBoolean() ? "up" : "DOWN",
          r.path("lastHeartbeat").asText("never"),
          r.path("shippedSeq").asLong());
    }
    JsonNode conflicts = doc.path("conflicts");
    if (conflicts.size() == 0) {
      out.println("conflicts since start: none");
    } else {
      out.println("conflicts since start (by table and type):");
      for (Map.Entry<String, JsonNode> e : conflicts.properties()) {
        List<String> parts = new ArrayList<>();
        long total = 0;
        for (Map.Entry<String, JsonNode> type : e.getValue().properties()) {
          parts.add(type.getKey() + "=" + type.getValue().asLong());
          total += type.getValue().asLong();
        }
        out.printf(Locale.ROOT, "  %-32s %6d  %s%n", e.getKey(), total, String.join(", ", parts));
      }
    }
    JsonNode alerts = doc.path("alerts");
    if (alerts.size() == 0) {
      out.println("alerts: none");
    } else {
      out.println("alerts:");
      alerts.forEach(a -> out.println("  " + a.asText()));
    }
    JsonNode warnings = doc.path("warnings");
    if (warnings.size() > 0) {
      out.println("warnings:");
      warnings.forEach(w -> out.println("  " + w.asText()));
    }
  }

  /** A TLS context that trusts the certificate authorities in a PEM file. */
  private javax.net.ssl.SSLContext trusting(java.nio.file.Path pem) {
    try (java.io.InputStream in = java.nio.file.Files.newInputStream(pem)) {
      java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      int i = 0;
      for (java.security.cert.Certificate c :
          java.security.cert.CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        trust.setCertificateEntry("ca" + i++, c);
      }
      javax.net.ssl.TrustManagerFactory tmf =
          javax.net.ssl.TrustManagerFactory.getInstance(
              javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      javax.net.ssl.SSLContext context = javax.net.ssl.SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), null);
      return context;
    } catch (IOException | java.security.GeneralSecurityException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--cacert " + pem + " cannot be read as PEM certificates: " + e.getMessage(),
          e,
          null,
          String.valueOf(pem));
    }
  }
}
