package io.georep.replicator.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.georep.connector.SourceTransaction;
import io.georep.publication.ColumnSelection;
import io.georep.publication.Publication;
import io.georep.publication.TableRule;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.Connectors;
import io.georep.replicator.codec.BatchCodec;
import io.georep.replicator.codec.WireBatch;
import io.georep.replicator.codec.WireFormatException;
import io.georep.replicator.internal.transport.KafkaClients;
import io.georep.replicator.internal.transport.StreamRecords;
import io.georep.replicator.internal.verify.Resyncer;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code georep resync REGION --from HEALTHY -c REGION.yaml -c HEALTHY.yaml}: re-seeds a region
 * whose stream halted from a healthy region (docs/verify.md).
 */
@Command(
    name = "resync",
    mixinStandardHelpOptions = true,
    description = {
      "Brings back a region whose stream halted (a poison record, a lost slot, a gap that"
          + " retention left): its published tables, their georep metadata and its apply progress"
          + " become a copy of a healthy region's (--from) at one consistent point, and its agent,"
          + " started again, resumes every stream from that point.",
      "Before: stop REGION's agent. The healthy region's agent must run. Give both regions'"
          + " agent.yaml (-c). Applications may keep running: in REGION their writes wait during"
          + " the copy; in the healthy region they wait while the point is taken (about a second).",
      "Nothing of REGION's own is lost silently: the healthy region must have applied REGION's"
          + " stream to its end first (resync waits, --settle-timeout); local transactions REGION"
          + " committed that its capture has not shipped stop the resync and are listed, unless"
          + " --discard-unshipped is given.",
      "After: start REGION's agent and check with georep verify."
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:the region was re-seeded; start its agent",
      "1:it could not be (the message says why and what to do); nothing was changed unless the"
          + " message says otherwise",
      "2:usage error"
    })
final class ResyncCommand implements Callable<Integer> {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Parameters(index = "0", paramLabel = "REGION", description = "The region to re-seed.")
  String region;

  @Option(
      names = "--from",
      required = true,
      paramLabel = "HEALTHY",
      description = "The region copied: one whose agent runs and whose streams flow.")
  String from;

  @Option(
      names = {"-c", "--config"},
      required = true,
      paramLabel = "FILE",
      description =
          "The agent configuration of REGION and of HEALTHY (two files; more are allowed and"
              + " ignored).")
  List<Path> configs = new ArrayList<>();

  @Option(
      names = "--discard-unshipped",
      description =
          "Discard REGION's local transactions that its capture has not shipped (they are"
              + " counted in the output) instead of stopping.")
  boolean discardUnshipped;

  @Option(
      names = "--settle-timeout",
      defaultValue = "60s",
      paramLabel = "DURATION",
      description =
          "How long HEALTHY may take to apply what REGION had applied and shipped. Default:"
              + " ${DEFAULT-VALUE}.")
  String settleTimeout;

  @Option(
      names = "--capture-timeout",
      defaultValue = "60s",
      paramLabel = "DURATION",
      description =
          "How long HEALTHY's capture may take to fold its local writes and ship the point."
              + " Default: ${DEFAULT-VALUE}.")
  String captureTimeout;

  @Option(
      names = "--lock-timeout",
      defaultValue = "60s",
      paramLabel = "DURATION",
      description = "How long to wait for each region's table locks. Default: ${DEFAULT-VALUE}.")
  String lockTimeout;

  @Option(names = "--json", description = "The result as one JSON document on standard output.")
  boolean json;

  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    Resyncer.Options options =
        new Resyncer.Options(
            discardUnshipped,
            duration("--settle-timeout", settleTimeout),
            duration("--capture-timeout", captureTimeout),
            duration("--lock-timeout", lockTimeout));
    if (region.equals(from)) {
      throw usage("--from " + from + " is the region to re-seed; name a healthy region");
    }
    List<AgentSettings> settings = RegionConfigs.load(spec, configs);
    if (settings == null) {
      return 1;
    }
    AgentSettings target = find(settings, region);
    AgentSettings healthy = find(settings, from);
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    List<String[]> tables = new ArrayList<>();
    for (TableRule rule : rules(target.publications(), err)) {
      tables.add(new String[] {rule.table().schema(), rule.table().name()});
    }
    if (tables.isEmpty()) {
      return 1;
    }
    AgentSettings.Region kafka = healthy.regionSettings(healthy.region());
    String topic = healthy.topics().changes(healthy.region());
    Resyncer resyncer =
        new Resyncer(
            side(target),
            side(healthy),
            tables,
            options,
            new KafkaStream(healthy, kafka, topic),
            new KafkaStream(
                target,
                target.regionSettings(target.region()),
                target.topics().changes(target.region())),
            err);
    err.println(
        "re-seeding "
            + region
            + " from "
            + from
            + ": "
            + tables.size()
            + " tables; "
            + region
            + "'s agent must be stopped and "
            + from
            + "'s running");
    err.flush();
    Resyncer.Result result;
    try {
      result = resyncer.run();
    } catch (Resyncer.ResyncException e) {
      err.println("resync failed: " + e.getMessage());
      return 1;
    } catch (SQLException | java.io.IOException | KafkaException e) {
      err.println(
          "resync failed (nothing was changed in "
              + region
              + "; run it again once the cause is fixed): "
              + e.getMessage());
      return 1;
    }
    long rows = result.tables().stream().mapToLong(Resyncer.Copied::rows).sum();
    if (json) {
      Map<String, Object> doc = new LinkedHashMap<>();
      doc.put("region", region);
      doc.put("from", from);
      doc.put("tables", result.tables());
      doc.put("rows", rows);
      doc.put("watermarks", result.watermarks());
      doc.put("streamOffset", result.streamOffset());
      doc.put("discardedTransactions", result.discarded());
      doc.put("discardedChanges", result.discardedChanges());
      out.println(JSON.writeValueAsString(doc));
    } else {
      out.printf(
          "RESYNCED: %s from %s: %,d rows in %d tables; applied watermarks %s; %s's stream"
              + " resumes at offset %d%s%n",
          region,
          from,
          rows,
          result.tables().size(),
          result.watermarks(),
          from,
          result.streamOffset(),
          result.discarded() > 0
              ? "; discarded " + result.discarded() + " unshipped local transactions"
              : "");
      out.println("Start " + region + "'s agent, then check with georep verify.");
    }
    out.flush();
    return 0;
  }

  private Resyncer.Side side(AgentSettings s) {
    AgentSettings.Database db = s.database();
    String slot =
        db.slotName() == null
            ? Connectors.forUrl(db.jdbcUrl()).defaultCaptureName(s.region())
            : db.slotName();
    return new Resyncer.Side(
        s.region(),
        () -> db.connect("georep resync"),
        slot,
        s.publications().stream().map(Publication::nativeName).toList());
  }

  /** The healthy region's changes topic, read with a consumer of its own (no group). */
  /** Records read back from the end of a stream for its last seq (re-shipped batches included). */
  private static final int TAIL = 200;

  private record KafkaStream(AgentSettings settings, AgentSettings.Region kafka, String topic)
      implements Resyncer.Stream {
    @Override
    public long end() {
      TopicPartition tp = new TopicPartition(topic, 0);
      try (KafkaConsumer<byte[], byte[]> c =
          KafkaClients.consumer(kafka, settings.topics(), "georep-resync")) {
        return c.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
      }
    }

    @Override
    public Optional<Resyncer.Point> firstFrom(long offset, long seq, Duration timeout) {
      TopicPartition tp = new TopicPartition(topic, 0);
      BatchCodec codec = BatchCodec.create();
      long deadline = System.nanoTime() + timeout.toNanos();
      try (KafkaConsumer<byte[], byte[]> c =
          KafkaClients.consumer(kafka, settings.topics(), "georep-resync")) {
        c.assign(List.of(tp));
        c.seek(tp, offset);
        while (System.nanoTime() < deadline) {
          for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
            WireBatch batch;
            try {
              batch = codec.decode(r.value());
            } catch (WireFormatException e) {
              continue; // not a batch of this stream: nothing of the point
            }
            if (batch.isFragment()) {
              continue; // a transaction with rows: the point has none
            }
            for (SourceTransaction tx : batch.transactions()) {
              if (tx.seq() >= seq) {
                return Optional.of(new Resyncer.Point(tx.seq(), tx.commitTimestamp()));
              }
            }
          }
        }
      }
      return Optional.empty();
    }

    @Override
    public long lastSeq() {
      TopicPartition tp = new TopicPartition(topic, 0);
      try (KafkaConsumer<byte[], byte[]> c =
          KafkaClients.consumer(kafka, settings.topics(), "georep-resync")) {
        long end = c.endOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
        long begin = c.beginningOffsets(List.of(tp), Duration.ofSeconds(30)).get(tp);
        long last = 0;
        long from = Math.max(begin, end - TAIL);
        if (from >= end) {
          return 0;
        }
        c.assign(List.of(tp));
        c.seek(tp, from);
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long position = from;
        while (position < end && System.nanoTime() < deadline) {
          for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
            position = r.offset() + 1;
            String seq = StreamRecords.header(r.headers(), StreamRecords.LAST_SEQ);
            try {
              last = seq == null ? last : Math.max(last, Long.parseLong(seq));
            } catch (NumberFormatException e) {
              // not a record of georep's: it carries no seq
            }
          }
        }
        if (position < end) {
          throw new KafkaException(
              "cannot read the end of " + topic + " (offsets " + from + " to " + end + ")");
        }
        return last;
      }
    }
  }

  private AgentSettings find(List<AgentSettings> settings, String name) {
    for (AgentSettings s : settings) {
      if (s.region().name().equals(name)) {
        return s;
      }
    }
    throw usage(
        "no configuration (-c) is of region "
            + name
            + "; give "
            + region
            + "'s and "
            + from
            + "'s agent.yaml");
  }

  /** The tables to copy: every table of the target's publications that flow between the two. */
  private List<TableRule> rules(List<Publication> publications, PrintWriter err) {
    Map<String, TableRule> byTable = new LinkedHashMap<>();
    List<String> refused = new ArrayList<>();
    for (Publication p : publications) {
      if (!p.regions().includes(region) || !p.regions().includes(from)) {
        continue;
      }
      for (TableRule r : p.tables()) {
        String qualified = r.table().schema() + "." + r.table().name();
        if (r.filter().isPresent()
            || !(r.columns() instanceof ColumnSelection.All)
            || !r.masks().isEmpty()) {
          refused.add(qualified + " (" + p.position() + ")");
        }
        byTable.putIfAbsent(qualified, r);
      }
    }
    if (!refused.isEmpty()) {
      err.println(
          "resync copies whole tables, so it cannot re-seed tables that replicate only some rows"
              + " or columns, or masked values: "
              + refused
              + "; re-create such a region from its own backup, then check with georep verify");
      return List.of();
    }
    if (byTable.isEmpty()) {
      err.println("no publication of " + region + "'s configuration flows between it and " + from);
    }
    return new ArrayList<>(byTable.values());
  }

  private Duration duration(String option, String text) {
    return RegionConfigs.duration(spec, option, text);
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(spec.commandLine(), message);
  }
}
