package io.georep.replicator;

import static io.georep.publication.YamlSyntax.describe;
import static io.georep.publication.YamlSyntax.isNull;

import io.georep.connector.DatabaseUrl;
import io.georep.connector.spi.DatabaseTls;
import io.georep.publication.DidYouMean;
import io.georep.publication.Problem;
import io.georep.publication.Publication;
import io.georep.publication.PublicationException;
import io.georep.publication.PublicationParser;
import io.georep.publication.SourcePosition;
import io.georep.publication.YamlSyntax;
import io.georep.publication.YamlWalk;
import io.georep.vectorclock.ReplicaId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;

/**
 * Loads {@code agent.yaml} into {@link AgentSettings}.
 *
 * <p>The YAML is composed into a node tree, so every value keeps its position. Every key is looked
 * up in the keys {@link AgentKeys} declares (name, type, default, allowed values, documentation;
 * {@code docs/configuration.md} holds the same table, checked by a test). Every problem is
 * collected as a {@link Problem} ({@code file:line:column: what is wrong — what to do}) and
 * reported at once in one {@link AgentConfigException}; nothing is returned unless there are none.
 * Nested sections ({@code apply: {workers: 4}}) and dotted keys ({@code apply.workers: 4}) are
 * equivalent.
 *
 * <p>Secrets: {@code database.url}, {@code database.user}, {@code database.password}, {@code
 * database.tls.key-password}, {@code http.token}, {@code http.tls.keystore-password}, {@code
 * signing.key.secret}, {@code signing.second-key.secret}, and every Kafka client setting ({@code
 * kafka.*}, {@code regions[].kafka.*}) may contain {@code ${env:NAME}} (an environment variable) or
 * {@code ${file:PATH}} (a file's content without its trailing line breaks; a relative path is
 * resolved against the configuration file's directory); <code>$${</code> writes a literal <code>${
 * </code>. Resolved values never appear in problems: messages name the variable or file instead.
 *
 * <p>Thread-safe and stateless apart from the environment function.
 *
 * <p>About 1,300 lines: the walk of the YAML tree with a message and a fix for every way a file can
 * be wrong (structure, unknown keys with suggestions, types, units, ranges, regions, publications,
 * Kafka settings the agent sets itself), and the resolution of secret references; the keys
 * themselves are {@link AgentKeys}'.
 */
public final class AgentConfig {

  /** The largest {@code agent.yaml} accepted. */
  static final long MAX_FILE_BYTES = 1L << 20;

  /** The largest secret file accepted. */
  static final long MAX_SECRET_FILE_BYTES = 64L << 10;

  private static final Map<String, AgentKeys.Key<?>> BY_NAME =
      AgentKeys.ALL.stream().collect(Collectors.toMap(AgentKeys.Key::name, k -> k));

  /** Every prefix of a dotted scalar key: the sections a mapping may open. */
  private static final Set<String> SECTIONS = sections();

  private static Set<String> sections() {
    Set<String> s = new TreeSet<>();
    for (AgentKeys.Key<?> k : AgentKeys.ALL) {
      if (!k.scalar() || k.name().startsWith("regions[")) {
        continue;
      }
      String n = k.name();
      for (int i = n.indexOf('.'); i > 0; i = n.indexOf('.', i + 1)) {
        s.add(n.substring(0, i));
      }
    }
    return s;
  }

  /**
   * Kafka client settings the agent sets itself ({@code KafkaClients}), with the reason: a value
   * given in {@code agent.yaml} would be silently overridden, so it is rejected instead.
   */
  static final Map<String, String> AGENT_KAFKA_SETTINGS = agentKafkaSettings();

  private static Map<String, String> agentKafkaSettings() {
    Map<String, String> m = new LinkedHashMap<>();
    String durable = "the stream's durability rests on it";
    m.put("acks", "the producer always uses acks=all; " + durable);
    m.put("enable.idempotence", "the producer is always idempotent; " + durable);
    m.put("max.in.flight.requests.per.connection", "kept at 5 for ordered idempotent sends");
    m.put("compression.type", "frames are already LZ4-compressed by the wire codec");
    m.put("retries", "the producer retries until delivery.timeout.ms; " + durable);
    m.put("delivery.timeout.ms", "the agent rides out broker outages of up to 10 minutes");
    m.put("max.block.ms", "the agent rides out broker outages of up to 10 minutes");
    m.put("linger.ms", "batching is the agent's: set shipping.linger");
    m.put("max.request.size", "set from topics.max.message.bytes");
    m.put("buffer.memory", "sized from the shipping bounds");
    String positions = "consumers have no group: positions come from the database";
    m.put("group.id", positions);
    m.put("group.instance.id", positions);
    m.put("enable.auto.commit", positions);
    m.put("auto.offset.reset", "an out-of-range position halts the origin rather than skipping");
    m.put("isolation.level", "the agent reads every record its producers wrote");
    m.put("max.poll.records", "bounded by the apply window (apply.window.*)");
    m.put("fetch.max.bytes", "bounded by the apply window (apply.window.*)");
    m.put("max.partition.fetch.bytes", "bounded by the apply window (apply.window.*)");
    m.put("client.id", "the agent names each client after its role and region");
    m.put("request.timeout.ms", "the agent sets its own timeouts");
    m.put("default.api.timeout.ms", "the agent sets its own timeouts");
    m.put("reconnect.backoff.max.ms", "the agent sets its own reconnect backoff");
    String frames = "records are raw wire-codec frames";
    m.put("key.serializer", frames);
    m.put("value.serializer", frames);
    m.put("key.deserializer", frames);
    m.put("value.deserializer", frames);
    return Map.copyOf(m);
  }

  private static final Set<String> KAFKA_NAMES = kafkaNames();

  private static Set<String> kafkaNames() {
    Set<String> names = new TreeSet<>(ProducerConfig.configNames());
    names.addAll(ConsumerConfig.configNames());
    names.addAll(AdminClientConfig.configNames());
    return Set.copyOf(names);
  }

  private static final Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern BYTES_WRONG_UNIT =
      Pattern.compile(
          "(\\d{1,19})\\s*(k|kb|m|mb|g|gb|t|tb|kib|mib|gib|tib)", Pattern.CASE_INSENSITIVE);
  private static final Pattern WHOLE = Pattern.compile("[-+]?\\d{1,18}");

  private final Function<String, String> environment;

  private AgentConfig(Function<String, String> environment) {
    this.environment = environment;
  }

  /**
   * Returns a loader that reads secret references from the process environment.
   *
   * @return the loader
   */
  public static AgentConfig create() {
    return new AgentConfig(System::getenv);
  }

  /**
   * Returns a loader that reads {@code ${env:NAME}} references through another function (an
   * embedding application's secret store, or a test).
   *
   * @param environment variable name to value; returns null for an unset variable; never null
   * @return the loader
   */
  public static AgentConfig withEnvironment(Function<String, String> environment) {
    return new AgentConfig(Objects.requireNonNull(environment, "environment"));
  }

  /**
   * Loads and validates a configuration file and the publication files it names (relative paths are
   * resolved against the file's directory).
   *
   * @param file the {@code agent.yaml}; never null
   * @return the settings
   * @throws AgentConfigException listing every problem, with positions; never showing a secret
   */
  public AgentSettings load(Path file) {
    Objects.requireNonNull(file, "file");
    String name = file.toString();
    try {
      long size = Files.size(file);
      if (size > MAX_FILE_BYTES) {
        throw new AgentConfigException(
            List.of(
                new Problem(
                    SourcePosition.startOf(name),
                    "file is " + size + " bytes, more than the 1 MiB limit of agent.yaml",
                    "check that --config names the agent configuration")));
      }
      byte[] bytes = Files.readAllBytes(file);
      Path parent = file.getParent();
      return new Walk(name, parent == null ? Path.of("") : parent).run(bytes);
    } catch (NoSuchFileException e) {
      throw new AgentConfigException(
          List.of(
              new Problem(
                  SourcePosition.startOf(name),
                  "the agent configuration file does not exist",
                  "check the path given to --config (relative paths start at "
                      + Path.of("").toAbsolutePath()
                      + ")")));
    } catch (IOException e) {
      throw new AgentConfigException(
          List.of(
              new Problem(
                  SourcePosition.startOf(name),
                  "cannot read the agent configuration: " + e,
                  "check that the file is readable by the agent's user")));
    }
  }

  /**
   * Resolves the {@code ${env:NAME}} and {@code ${file:PATH}} references in a value given outside a
   * configuration file (a command-line option); a relative file path starts at the working
   * directory.
   *
   * @param value the value, possibly holding references; never null
   * @param what what the value is, for messages (such as {@code --password})
   * @return the resolved value
   * @throws IllegalArgumentException naming the variable or file (never a secret) if a reference
   *     cannot be resolved
   */
  public String resolveReferences(String value, String what) {
    List<String> problems = new ArrayList<>();
    String resolved =
        resolve(value, what, Path.of(""), environment, (m, f) -> problems.add(m + " — " + f));
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
    return resolved;
  }

  /** Receives a problem with a reference: what is wrong, and what to do. */
  private interface ReferenceProblem {
    void report(String message, String fix);
  }

  /**
   * Resolves references in {@code text}; reports problems naming variables and files only, and
   * returns the text with every unresolvable reference replaced by nothing.
   */
  private static String resolve(
      String text,
      String what,
      Path base,
      Function<String, String> environment,
      ReferenceProblem problem) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < text.length()) {
      if (text.startsWith("$${", i)) {
        out.append("${");
        i += 3;
        continue;
      }
      if (!text.startsWith("${", i)) {
        out.append(text.charAt(i++));
        continue;
      }
      int end = text.indexOf('}', i + 2);
      if (end < 0) {
        problem.report(
            "a reference in " + what + " has no closing '}'",
            "write ${env:NAME} or ${file:PATH}; for a literal '${' write '$${'");
        return "";
      }
      String body = text.substring(i + 2, end);
      i = end + 1;
      int colon = body.indexOf(':');
      String kind = colon < 0 ? "" : body.substring(0, colon);
      String arg = colon < 0 ? body : body.substring(colon + 1);
      if (kind.equals("env")) {
        if (!VARIABLE.matcher(arg).matches()) {
          problem.report(
              "'" + arg + "' in " + what + " is not an environment variable name",
              "write ${env:NAME} with letters, digits and '_'");
          continue;
        }
        String value = environment.apply(arg);
        if (value == null) {
          problem.report(
              "environment variable " + arg + " (for " + what + ") is not set",
              "set " + arg + " in the agent's environment, or use ${file:PATH}");
          continue;
        }
        out.append(value);
      } else if (kind.equals("file")) {
        if (arg.isBlank()) {
          problem.report("an empty ${file:} reference in " + what, "write ${file:/path/to/secret}");
          continue;
        }
        Path path = base.resolve(arg);
        try {
          if (Files.isDirectory(path)) {
            problem.report(
                "secret file " + path + " (for " + what + ") is a directory",
                "name the file that holds the value");
            continue;
          }
          long size = Files.size(path);
          if (size > MAX_SECRET_FILE_BYTES) {
            problem.report(
                "secret file "
                    + path
                    + " (for "
                    + what
                    + ") is "
                    + size
                    + " bytes, more than 64 KiB",
                "a secret file holds one value; check the path");
            continue;
          }
          String content = Files.readString(path, StandardCharsets.UTF_8);
          int n = content.length();
          while (n > 0 && (content.charAt(n - 1) == '\n' || content.charAt(n - 1) == '\r')) {
            n--;
          }
          out.append(content, 0, n);
        } catch (NoSuchFileException e) {
          problem.report(
              "secret file " + path + " (for " + what + ") does not exist",
              "create it, or correct the path (relative paths start at the configuration file's"
                  + " directory)");
        } catch (AccessDeniedException e) {
          problem.report(
              "secret file " + path + " (for " + what + ") cannot be read: permission denied",
              "let the agent's user read it");
        } catch (IOException e) {
          problem.report(
              "secret file "
                  + path
                  + " (for "
                  + what
                  + ") cannot be read: "
                  + e.getClass().getSimpleName(),
              "check that the file is readable UTF-8 text");
        }
      } else {
        String shown = colon < 0 ? "${" + body + "}" : "${" + kind + ":…}";
        problem.report(
            "unknown reference " + shown + " in " + what,
            "write ${env:"
                + (colon < 0 && VARIABLE.matcher(body).matches() ? body : "NAME")
                + "} or ${file:PATH}; for a literal '${' write '$${'");
      }
    }
    return out.toString();
  }

  /**
   * Returns the reference table of every key as Markdown, the table {@code docs/configuration.md}
   * holds.
   *
   * @return the table
   */
  static String keyTable() {
    StringBuilder sb = new StringBuilder();
    sb.append("| key | type | default | allowed | meaning |\n");
    sb.append("|---|---|---|---|---|\n");
    for (AgentKeys.Key<?> k : AgentKeys.ALL) {
      sb.append("| `")
          .append(k.name())
          .append("` | ")
          .append(k.type().label())
          .append(" | ")
          .append(k.defaultText().equals("``") ? "empty" : k.defaultText())
          .append(" | ")
          .append(k.allowed())
          .append(" | ")
          .append(k.doc())
          .append(
              !k.acceptsSecrets() || k.doc().contains("reference")
                  ? ""
                  : k.scalar()
                      ? "; may hold secret references"
                      : "; values may hold secret references")
          .append(" |\n");
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------------------------------------

  /** A key as the file gives it: its key node and value node. */
  private record Given(ScalarNode key, Node value) {}

  /** One load of one file: the nodes found and the problems so far. */
  private final class Walk extends YamlWalk {
    private final Path base;
    private final Map<String, Given> scalars = new LinkedHashMap<>();
    private final Map<String, ScalarNode> sectionKeys = new HashMap<>();
    private final Map<String, Given> structure = new LinkedHashMap<>();
    private final Map<String, Object> values = new HashMap<>();
    private List<String> lines = List.of();

    Walk(String file, Path base) {
      super(file, new ArrayList<>());
      this.base = base;
    }

    AgentSettings run(byte[] bytes) {
      Optional<String> text = decode(bytes);
      if (text.isEmpty()) {
        throw failure();
      }
      lines = text.get().lines().toList();
      Optional<MappingNode> root = compose(text.get());
      if (root.isEmpty()) {
        throw failure();
      }
      section(root.get(), "");
      for (AgentKeys.Key<?> k : AgentKeys.ALL) {
        if (k.scalar() && !k.name().startsWith("regions[")) {
          value(k);
        }
      }
      List<RegionEntry> regionList = regions();
      List<Publication> publications = publications(regionList);
      AgentSettings settings = problems.isEmpty() ? build(publications, regionList) : null;
      if (!problems.isEmpty() || settings == null) {
        throw failure();
      }
      return settings;
    }

    private AgentConfigException failure() {
      return new AgentConfigException(problems.stream().sorted().distinct().toList());
    }

    // ---- reading ----

    private Optional<MappingNode> compose(String text) {
      Optional<List<Node>> composed = YamlSyntax.compose(file, text, lines, problems::add);
      if (composed.isEmpty()) {
        return Optional.empty();
      }
      List<Node> documents = composed.get();
      if (documents.isEmpty()) {
        problem(
            SourcePosition.startOf(file),
            text.isBlank() ? "the file is empty" : "the file contains only comments",
            "start with 'region: <name>'; see docs/configuration.md for a complete example");
        return Optional.empty();
      }
      if (documents.size() > 1) {
        SourcePosition second = position(documents.get(1));
        int separator = Math.min(second.line(), lines.size());
        while (separator > 1 && !lines.get(separator - 1).startsWith("---")) {
          separator--;
        }
        problem(
            separator >= 1 && lines.get(separator - 1).startsWith("---")
                ? new SourcePosition(file, separator, 1)
                : second,
            "the file holds " + documents.size() + " YAML documents; agent.yaml holds one",
            "remove the '---' separator; each agent has its own file");
        return Optional.empty();
      }
      if (!(documents.get(0) instanceof MappingNode root)) {
        problem(
            position(documents.get(0)),
            "agent.yaml must be a mapping of keys, found " + describe(documents.get(0)),
            "start with 'region: <name>'; see docs/configuration.md for a complete example");
        return Optional.empty();
      }
      return Optional.of(root);
    }

    // ---- keys ----

    private void section(MappingNode map, String prefix) {
      for (NodeTuple t : map.getValue()) {
        Node keyNode = t.getKeyNode();
        if (!(keyNode instanceof ScalarNode k) || isNull(keyNode)) {
          problem(
              position(keyNode),
              "keys must be plain names, found " + describe(keyNode),
              "write 'name: value'");
          continue;
        }
        String name = prefix + k.getValue();
        Node value = t.getValueNode();
        if (prefix.isEmpty()
            && (name.equals("publications") || name.equals("regions") || name.equals("kafka"))) {
          Given first = structure.putIfAbsent(name, new Given(k, value));
          if (first != null) {
            duplicate(k, name, first.key());
          }
          continue;
        }
        AgentKeys.Key<?> key = BY_NAME.get(name);
        if (key != null && key.scalar() && !name.startsWith("regions[")) {
          Given first = scalars.putIfAbsent(name, new Given(k, value));
          if (first != null) {
            duplicate(k, name, first.key());
          }
          continue;
        }
        if (SECTIONS.contains(name)) {
          sectionKeys.putIfAbsent(name, k);
          if (value instanceof MappingNode m) {
            section(m, name + ".");
          } else if (!isNull(value)) {
            String child =
                AgentKeys.ALL.stream()
                    .map(AgentKeys.Key::name)
                    .filter(n -> n.startsWith(name + "."))
                    .findFirst()
                    .map(n -> n.substring(name.length() + 1))
                    .orElse("key");
            problem(
                position(value),
                "'" + name + "' is a section of keys, found " + describe(value),
                "indent its keys under it, for example '" + name + ": {" + child + ": …}'");
          }
          continue;
        }
        unknown(k, name, prefix);
      }
    }

    private void duplicate(ScalarNode at, String name, ScalarNode first) {
      problem(
          position(at),
          "duplicate key '" + name + "' (first at line " + position(first).line() + ")",
          "remove one of them; YAML keeps only one value per key");
    }

    private void unknown(ScalarNode k, String name, String prefix) {
      Set<String> candidates = new TreeSet<>(BY_NAME.keySet());
      candidates.removeIf(n -> n.startsWith("regions["));
      candidates.addAll(SECTIONS);
      Optional<String> suggestion = DidYouMean.suggest(name, candidates);
      String fix;
      if (suggestion.isPresent()) {
        fix = "did you mean '" + suggestion.get() + "'?";
      } else if (KAFKA_NAMES.contains(name) || KAFKA_NAMES.contains(k.getValue())) {
        fix =
            "Kafka client settings go under 'kafka:' (shared by every region) or a region's"
                + " 'kafka:'";
      } else if (!prefix.isEmpty()) {
        String section = prefix.substring(0, prefix.length() - 1);
        fix =
            "'"
                + section
                + "' has the keys "
                + AgentKeys.ALL.stream()
                    .map(AgentKeys.Key::name)
                    .filter(n -> n.startsWith(prefix))
                    .map(n -> n.substring(prefix.length()))
                    .collect(Collectors.joining(", "))
                + "; see docs/configuration.md";
      } else {
        fix =
            "the top-level keys are region, database, publications, kafka, regions, topics,"
                + " shipping, apply, control, http, signing, tracing; see docs/configuration.md";
      }
      problem(position(k), "unknown key '" + name + "'", fix);
    }

    // ---- scalar values ----

    private void value(AgentKeys.Key<?> key) {
      Given given = scalars.get(key.name());
      if (given == null) {
        if (key.required()) {
          String section =
              key.name().contains(".") ? key.name().substring(0, key.name().indexOf('.')) : "";
          ScalarNode owner = sectionKeys.get(section);
          String leaf = key.name().substring(section.isEmpty() ? 0 : section.length() + 1);
          problem(
              owner == null ? SourcePosition.startOf(file) : position(owner),
              "missing required key '" + key.name() + "'",
              "add '"
                  + (owner == null ? key.name() : leaf)
                  + ": "
                  + key.example()
                  + "'"
                  + (owner == null ? "" : " under '" + section + ":'")
                  + " ("
                  + key.doc().replace("`", "")
                  + ")");
        } else if (key.defaultYaml().isPresent()) {
          values.put(key.name(), key.defaultValue());
        }
        return;
      }
      Node node = given.value();
      if (!(node instanceof ScalarNode scalar)) {
        problem(
            position(node),
            "'" + key.name() + "' must be " + expected(key) + ", found " + describe(node),
            "write a single value, for example '" + key.name() + ": " + exampleValue(key) + "'");
        return;
      }
      if (isNull(scalar)) {
        problem(
            position(node),
            "'" + key.name() + "' has no value",
            "write "
                + expected(key)
                + (key.defaultYaml().isPresent()
                    ? ", or remove the key for the default (" + key.defaultYaml().get() + ")"
                    : ", for example '" + key.name() + ": " + exampleValue(key) + "'"));
        return;
      }
      String text = scalar.getValue();
      boolean fromReference = false;
      if (key.acceptsSecrets()) {
        int before = problems.size();
        String resolved =
            resolve(text, key.name(), base, environment, (m, f) -> problem(position(node), m, f));
        if (problems.size() > before) {
          return;
        }
        fromReference = !resolved.equals(text);
        text = resolved;
      } else if (text.contains("${")) {
        problem(
            position(node),
            "'" + key.name() + "' cannot hold a reference (${env:…}, ${file:…})",
            "references are accepted in database.url, database.user, database.password,"
                + " database.tls.key-password, http.token, http.tls.keystore-password,"
                + " signing.*.secret and Kafka settings; write the value itself");
        return;
      }
      Object value = parse(key, scalar, text);
      if (value == null) {
        return;
      }
      String violation = key.violation(value);
      if (violation != null) {
        problem(
            position(node),
            "'"
                + key.name()
                + "' must be "
                + violation
                + ", found "
                + shown(key, text, fromReference),
            key.defaultYaml().isPresent()
                ? "write a value in that range, or remove the key for the default ("
                    + key.defaultYaml().get()
                    + ")"
                : "see docs/configuration.md");
        return;
      }
      values.put(key.name(), value);
    }

    /** Shows a value in a message: never a password, never what a reference resolved to. */
    private String shown(AgentKeys.Key<?> key, String text, boolean fromReference) {
      if (fromReference) {
        return "the value of its reference";
      }
      if (key.name().matches(".*(password|secret|token)")) {
        return "a value";
      }
      return "'" + DatabaseUrl.masked(text) + "'";
    }

    private Object parse(AgentKeys.Key<?> key, ScalarNode node, String text) {
      String t = text.strip();
      switch (key.type()) {
        case INT -> {
          if (WHOLE.matcher(t).matches()) {
            long n = Long.parseLong(t);
            if (n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE) {
              return (int) n;
            }
          }
          typeProblem(key, node, "a whole number");
          return null;
        }
        case BYTES -> {
          Long n = AgentKeys.bytes(t);
          if (n != null) {
            return n;
          }
          Matcher wrong = BYTES_WRONG_UNIT.matcher(t);
          if (wrong.matches()) {
            String unit = wrong.group(2).substring(0, 1).toUpperCase(Locale.ROOT);
            problem(
                position(node),
                "'" + key.name() + "' has the unit '" + wrong.group(2) + "', which is ambiguous",
                "write "
                    + wrong.group(1)
                    + unit
                    + "iB; the units are B, KiB, MiB, GiB and TiB"
                    + " (powers of 1024)");
            return null;
          }
          typeProblem(key, node, "a byte count such as 1048576, 64KiB or 8MiB");
          return null;
        }
        case DURATION -> {
          Duration d = AgentKeys.duration(t);
          if (d != null) {
            return d;
          }
          if (WHOLE.matcher(t).matches()) {
            problem(
                position(node),
                "'" + key.name() + "' is the number " + t + " without a unit",
                "write a duration with its unit, such as " + t + "ms or " + t + "s");
            return null;
          }
          typeProblem(key, node, "a duration such as 500ms, 30s, 5m, 2h, 7d or PT1S");
          return null;
        }
        case BOOLEAN -> {
          if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) {
            return Boolean.valueOf(t.toLowerCase(Locale.ROOT));
          }
          typeProblem(key, node, "true or false");
          return null;
        }
        default -> {
          if (key.name().equals("region")) {
            try {
              return ReplicaId.of(text).name();
            } catch (IllegalArgumentException e) {
              problem(
                  position(node),
                  "region name '" + text + "' is not valid",
                  "use 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-' (for example"
                      + " 'us-east')");
              return null;
            }
          }
          return text;
        }
      }
    }

    private void typeProblem(AgentKeys.Key<?> key, ScalarNode node, String expected) {
      problem(
          position(node),
          "'" + key.name() + "' must be " + expected + ", found " + describe(node),
          "for example '" + key.name() + ": " + exampleValue(key) + "'");
    }

    private static String expected(AgentKeys.Key<?> key) {
      return switch (key.type()) {
        case INT -> "a whole number";
        case BYTES -> "a byte count";
        case DURATION -> "a duration";
        case BOOLEAN -> "true or false";
        default -> "a single value";
      };
    }

    private static String exampleValue(AgentKeys.Key<?> key) {
      if (key.defaultYaml().filter(d -> !d.isEmpty()).isPresent()) {
        return key.defaultYaml().get();
      }
      return key.example() != null ? key.example() : "…";
    }

    // ---- publications ----

    private List<Publication> publications(List<RegionEntry> regionList) {
      Given given = structure.get("publications");
      if (given == null) {
        problem(
            SourcePosition.startOf(file),
            "missing required key 'publications'",
            "add 'publications: [orders.yaml]' listing the publication files (paths relative to"
                + " this file)");
        return List.of();
      }
      if (!(given.value() instanceof SequenceNode seq)) {
        problem(
            position(given.value()),
            "'publications' must be a list of files, found " + describe(given.value()),
            "write publications: [orders.yaml] (paths relative to this file)");
        return List.of();
      }
      if (seq.getValue().isEmpty()) {
        problem(
            position(seq),
            "'publications' is an empty list",
            "list at least one publication file, e.g. publications: [orders.yaml]");
        return List.of();
      }
      List<Path> paths = new ArrayList<>();
      Map<Path, Node> seen = new HashMap<>();
      for (Node n : seq.getValue()) {
        if (!(n instanceof ScalarNode s) || isNull(n) || s.getValue().isBlank()) {
          problem(
              position(n),
              "a publication entry must be a file path, found " + describe(n),
              "write the path of a publication file, e.g. - orders.yaml");
          continue;
        }
        Path path = base.resolve(s.getValue());
        Node first = seen.putIfAbsent(path.normalize(), n);
        if (first != null) {
          problem(
              position(n),
              "publication file '"
                  + s.getValue()
                  + "' is listed twice (first at line "
                  + position(first).line()
                  + ")",
              "list each file once");
          continue;
        }
        if (!Files.exists(path)) {
          problem(
              position(n),
              "publication file '" + s.getValue() + "' does not exist (looked for " + path + ")",
              "paths are relative to the directory of " + file + "; correct the path");
          continue;
        }
        if (Files.isDirectory(path)) {
          problem(
              position(n),
              "'" + s.getValue() + "' is a directory, not a publication file",
              "list the YAML files in it one by one");
          continue;
        }
        paths.add(path);
      }
      if (paths.isEmpty()) {
        return List.of();
      }
      PublicationParser parser = PublicationParser.create();
      if (!regionList.isEmpty() && regionList.stream().allMatch(r -> r.name() != null)) {
        parser =
            parser.withKnownRegions(
                regionList.stream().map(r -> r.name().name()).collect(Collectors.toSet()));
      }
      try {
        return parser.parseFiles(paths);
      } catch (PublicationException e) {
        problems.addAll(e.problems());
        return List.of();
      }
    }

    // ---- regions and Kafka ----

    /** A region entry: its name (null if invalid) and resolved Kafka settings. */
    private record RegionEntry(Node at, ReplicaId name, Map<String, String> kafka) {}

    private List<RegionEntry> regions() {
      Map<String, String> shared = new LinkedHashMap<>();
      Given sharedGiven = structure.get("kafka");
      if (sharedGiven != null) {
        kafka(sharedGiven.value(), "kafka", shared);
      }
      Given given = structure.get("regions");
      if (given == null) {
        problem(
            SourcePosition.startOf(file),
            "missing required key 'regions'",
            "list every region of the topology, this one included, e.g. 'regions: [{name: eu-west,"
                + " kafka: {bootstrap.servers: kafka-eu:9092}}, {name: us-east, kafka:"
                + " {bootstrap.servers: kafka-us:9092}}]'");
        return List.of();
      }
      if (!(given.value() instanceof SequenceNode seq)) {
        problem(
            position(given.value()),
            "'regions' must be a list, found " + describe(given.value()),
            "write one entry per region: '- name: eu-west' with its 'kafka:' settings");
        return List.of();
      }
      List<RegionEntry> out = new ArrayList<>();
      Map<ReplicaId, Node> seen = new HashMap<>();
      for (Node n : seq.getValue()) {
        RegionEntry r = region(n, shared);
        if (r == null) {
          continue;
        }
        if (r.name() != null) {
          Node first = seen.putIfAbsent(r.name(), r.at());
          if (first != null) {
            problem(
                position(r.at()),
                "region '"
                    + r.name()
                    + "' is listed twice (first at line "
                    + position(first).line()
                    + ")",
                "list each region once");
            continue;
          }
        }
        out.add(r);
      }
      if (seq.getValue().size() < 2) {
        problem(
            position(seq),
            "'regions' lists "
                + seq.getValue().size()
                + (seq.getValue().size() == 1 ? " region" : " regions")
                + "; replication needs at least two",
            "list every region of the topology, this one included, each with its Kafka cluster");
      }
      String own = AgentKeys.REGION.from(values);
      if (own != null && !seen.isEmpty() && !seen.containsKey(ReplicaId.of(own))) {
        Given region = scalars.get("region");
        problem(
            position(region.value()),
            "region '" + own + "' is not listed in 'regions' (line " + position(seq).line() + ")",
            "add '- name: " + own + "' with the Kafka cluster that holds its stream");
      }
      return out;
    }

    private RegionEntry region(Node n, Map<String, String> shared) {
      Node nameNode;
      Node kafkaNode = null;
      if (n instanceof ScalarNode && !isNull(n)) {
        nameNode = n;
      } else if (n instanceof MappingNode m) {
        Map<String, NodeTuple> keys =
            keys(
                m,
                "a region",
                Set.of("name", "kafka"),
                k ->
                    KAFKA_NAMES.contains(k)
                        ? "Kafka client settings go under the region's 'kafka:'"
                        : DidYouMean.fix(
                            k, List.of("name", "kafka"), "a region has the keys name and kafka"));
        nameNode = keys.containsKey("name") ? keys.get("name").getValueNode() : null;
        kafkaNode = keys.containsKey("kafka") ? keys.get("kafka").getValueNode() : null;
        if (nameNode == null) {
          problem(position(n), "a region needs a name", "add 'name: eu-west' to the entry");
          return null;
        }
      } else {
        problem(
            position(n),
            "a region must be a name or a mapping with name and kafka, found " + describe(n),
            "write '- name: eu-west' and, indented under it, 'kafka: {bootstrap.servers:"
                + " host:9092}'");
        return null;
      }
      ReplicaId name = null;
      if (!(nameNode instanceof ScalarNode s) || isNull(nameNode)) {
        problem(
            position(nameNode),
            "a region's name must be text, found " + describe(nameNode),
            "write 'name: eu-west'");
      } else {
        try {
          name = ReplicaId.of(s.getValue());
        } catch (IllegalArgumentException e) {
          problem(
              position(nameNode),
              "region name '" + s.getValue() + "' is not valid",
              "use 1 to 64 characters from A-Z, a-z, 0-9, '.', '_' and '-' (for example"
                  + " 'us-east')");
        }
      }
      String label = "regions[" + (name == null ? "?" : name.name()) + "].kafka";
      Map<String, String> kafka = new LinkedHashMap<>(shared);
      if (kafkaNode != null) {
        kafka(kafkaNode, label, kafka);
      }
      String bootstrap = kafka.get("bootstrap.servers");
      if (name != null && (bootstrap == null || bootstrap.isBlank())) {
        problem(
            position(kafkaNode == null ? nameNode : kafkaNode),
            "region '" + name + "' has no Kafka bootstrap.servers",
            "add 'kafka: {bootstrap.servers: host:9092}' to the region, or a shared 'kafka:'"
                + " section at the top");
      }
      return new RegionEntry(n, name, kafka);
    }

    /** Reads a Kafka settings mapping (nested mappings flattened with dots) into {@code into}. */
    private void kafka(Node node, String label, Map<String, String> into) {
      if (isNull(node)) {
        return;
      }
      if (!(node instanceof MappingNode m)) {
        problem(
            position(node),
            "'" + label + "' must be a mapping of Kafka client settings, found " + describe(node),
            "write 'kafka: {bootstrap.servers: host:9092}'");
        return;
      }
      Map<String, ScalarNode> own = new LinkedHashMap<>();
      flattenKafka(m, "", label, own, into);
    }

    private void flattenKafka(
        MappingNode m,
        String prefix,
        String label,
        Map<String, ScalarNode> own,
        Map<String, String> into) {
      for (NodeTuple t : m.getValue()) {
        if (!(t.getKeyNode() instanceof ScalarNode k) || isNull(t.getKeyNode())) {
          problem(
              position(t.getKeyNode()),
              "Kafka setting names must be plain text, found " + describe(t.getKeyNode()),
              "write 'security.protocol: SSL'");
          continue;
        }
        String name = prefix + k.getValue();
        Node value = t.getValueNode();
        if (value instanceof MappingNode nested) {
          flattenKafka(nested, name + ".", label, own, into);
          continue;
        }
        ScalarNode first = own.putIfAbsent(name, k);
        if (first != null) {
          problem(
              position(k),
              "duplicate Kafka setting '"
                  + name
                  + "' in "
                  + label
                  + " (first at line "
                  + position(first).line()
                  + ")",
              "remove one of them");
          continue;
        }
        String reason = AGENT_KAFKA_SETTINGS.get(name);
        if (reason != null) {
          problem(
              position(k),
              "Kafka setting '" + name + "' is set by the agent itself: " + reason,
              "remove it from " + label);
          continue;
        }
        if (!KAFKA_NAMES.contains(name)) {
          Optional<String> suggestion = DidYouMean.suggest(name, KAFKA_NAMES);
          if (suggestion.isPresent()) {
            problem(
                position(k),
                "unknown Kafka client setting '" + name + "' in " + label,
                "did you mean '" + suggestion.get() + "'?");
            continue;
          }
          // Not a Kafka setting and not close to one: a plug-in's own setting (a SASL callback
          // handler, a custom SSL engine factory), passed through as given.
        }
        String what = label + "." + name;
        String text;
        if (value instanceof SequenceNode seq) {
          List<String> parts = new ArrayList<>();
          for (Node item : seq.getValue()) {
            if (item instanceof ScalarNode s && !isNull(item)) {
              parts.add(s.getValue());
            } else {
              problem(
                  position(item),
                  "'" + what + "' lists " + describe(item),
                  "list plain values, such as host1:9092");
            }
          }
          text = String.join(",", parts);
        } else if (value instanceof ScalarNode s && !isNull(value)) {
          text = s.getValue();
        } else {
          problem(
              position(value),
              "Kafka setting '" + what + "' has no value",
              "give it a value or remove it");
          continue;
        }
        int before = problems.size();
        String resolved =
            resolve(
                text, what, base, environment, (msg, fix) -> problem(position(value), msg, fix));
        if (problems.size() == before) {
          into.put(name, resolved);
        }
      }
    }

    // ---- settings ----

    private AgentSettings build(List<Publication> publications, List<RegionEntry> regionList) {
      List<AgentSettings.Region> regions = new ArrayList<>();
      for (RegionEntry r : regionList) {
        regions.add(new AgentSettings.Region(r.name(), r.kafka()));
      }
      String region = AgentKeys.REGION.from(values);
      AgentSettings.Database database =
          record(
              "database",
              () ->
                  new AgentSettings.Database(
                      AgentKeys.DATABASE_URL.from(values),
                      AgentKeys.DATABASE_USER.from(values),
                      Objects.requireNonNullElse(AgentKeys.DATABASE_PASSWORD.from(values), ""),
                      AgentKeys.DATABASE_SLOT.from(values),
                      AgentKeys.DATABASE_COPY_CHUNK_ROWS.from(values),
                      AgentKeys.DATABASE_COPY_PARALLEL.from(values),
                      tls()));
      AgentSettings.Topics topics =
          record(
              "topics",
              () ->
                  new AgentSettings.Topics(
                      AgentKeys.TOPICS_PREFIX.from(values),
                      AgentKeys.TOPICS_PARTITIONS.from(values),
                      AgentKeys.TOPICS_REPLICATION_FACTOR.from(values),
                      AgentKeys.TOPICS_RETENTION.from(values),
                      Math.toIntExact(AgentKeys.TOPICS_MAX_MESSAGE_BYTES.from(values))));
      AgentSettings.Shipping shipping =
          record(
              "shipping",
              () ->
                  new AgentSettings.Shipping(
                      AgentKeys.SHIPPING_BATCH_MAX_TRANSACTIONS.from(values),
                      AgentKeys.SHIPPING_BATCH_MAX_CHANGES.from(values),
                      AgentKeys.SHIPPING_LINGER.from(values),
                      AgentKeys.SHIPPING_MAX_IN_FLIGHT_TRANSACTIONS.from(values),
                      AgentKeys.SHIPPING_MAX_IN_FLIGHT_BYTES.from(values)));
      AgentSettings.Apply apply =
          record(
              "apply",
              () ->
                  new AgentSettings.Apply(
                      AgentKeys.APPLY_WORKERS.from(values),
                      AgentKeys.APPLY_GROUP_MAX_TRANSACTIONS.from(values),
                      AgentKeys.APPLY_WINDOW_TRANSACTIONS.from(values),
                      AgentKeys.APPLY_WINDOW_BYTES.from(values),
                      AgentKeys.APPLY_RETRY_MIN.from(values),
                      AgentKeys.APPLY_RETRY_MAX.from(values)));
      AgentSettings.Control control =
          record(
              "control",
              () ->
                  new AgentSettings.Control(
                      AgentKeys.CONTROL_HEARTBEAT_INTERVAL.from(values),
                      AgentKeys.CONTROL_REGION_TIMEOUT.from(values),
                      AgentKeys.CONTROL_GC_INTERVAL.from(values),
                      AgentKeys.CONTROL_CONFLICT_LOG_RETENTION.from(values),
                      AgentKeys.CONTROL_MAX_LAG.from(values)));
      AgentSettings.Http http =
          record(
              "http",
              () ->
                  new AgentSettings.Http(
                      AgentKeys.HTTP_ENABLED.from(values),
                      AgentKeys.HTTP_HOST.from(values),
                      AgentKeys.HTTP_PORT.from(values),
                      AgentKeys.HTTP_TOKEN.from(values),
                      AgentKeys.HTTP_TLS_KEYSTORE.from(values),
                      AgentKeys.HTTP_TLS_KEYSTORE_PASSWORD.from(values)));
      AgentSettings.Signing signing =
          record(
              "signing",
              () ->
                  new AgentSettings.Signing(
                      AgentKeys.SIGNING_KEY_ID.from(values),
                      AgentKeys.SIGNING_KEY_SECRET.from(values),
                      AgentKeys.SIGNING_SECOND_KEY_ID.from(values),
                      AgentKeys.SIGNING_SECOND_KEY_SECRET.from(values),
                      AgentKeys.SIGNING_REQUIRED.from(values)));
      AgentSettings.Tracing tracing =
          record(
              "tracing",
              () ->
                  new AgentSettings.Tracing(
                      AgentKeys.TRACING_OTLP_ENDPOINT.from(values),
                      Double.parseDouble(AgentKeys.TRACING_SAMPLE_RATIO.from(values))));
      if (!problems.isEmpty()) {
        return null;
      }
      return record(
          "",
          () ->
              new AgentSettings(
                  ReplicaId.of(region),
                  database,
                  publications,
                  regions,
                  topics,
                  shipping,
                  apply,
                  control,
                  http,
                  tracing,
                  signing));
    }

    /**
     * The TLS settings, file paths resolved against the configuration file's directory.
     *
     * @throws IllegalArgumentException naming the keys that do not go together
     */
    private DatabaseTls tls() {
      String mode = AgentKeys.DATABASE_TLS_MODE.from(values);
      return new DatabaseTls(
          mode == null ? null : DatabaseTls.Mode.ofConfigName(mode),
          file(AgentKeys.DATABASE_TLS_ROOT_CERT),
          file(AgentKeys.DATABASE_TLS_CERT),
          file(AgentKeys.DATABASE_TLS_KEY),
          AgentKeys.DATABASE_TLS_KEY_PASSWORD.from(values));
    }

    private Path file(AgentKeys.Key<String> key) {
      String name = key.from(values);
      return name == null ? null : base.resolve(name.strip()).normalize();
    }

    /** Builds one settings record; its validation messages (naming keys) become problems. */
    private <T> T record(String section, java.util.function.Supplier<T> build) {
      try {
        return build.get();
      } catch (IllegalArgumentException e) {
        String message = Objects.requireNonNullElse(e.getMessage(), e.toString());
        for (String part : Pattern.compile(";\\s+|\\n\\s*-?\\s*").splitAsStream(message).toList()) {
          if (part.isBlank() || part.endsWith(":")) {
            continue;
          }
          problem(positionOfKeyIn(part, section), part.strip(), "");
        }
        return null;
      }
    }

    /** The position of the first key a message names that the file gives, else its section. */
    private SourcePosition positionOfKeyIn(String message, String section) {
      int best = Integer.MAX_VALUE;
      Given bestGiven = null;
      for (Map.Entry<String, Given> e : scalars.entrySet()) {
        Matcher named =
            Pattern.compile("(?<![\\w.])" + Pattern.quote(e.getKey()) + "(?![\\w.])")
                .matcher(message);
        int at = named.find() ? named.start() : -1;
        if (at >= 0 && at < best) {
          best = at;
          bestGiven = e.getValue();
        }
      }
      if (bestGiven != null) {
        return position(bestGiven.value());
      }
      ScalarNode owner = sectionKeys.get(section);
      return owner == null ? SourcePosition.startOf(file) : position(owner);
    }
  }
}
