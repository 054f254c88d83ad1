package io.georep.publication;

import static io.georep.publication.YamlSyntax.describe;
import static io.georep.publication.YamlSyntax.isNull;

import io.georep.publication.internal.SourceText;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;

/**
 * Reads one publication file into a {@link Publication}, collecting every problem.
 *
 * <p>Design: SnakeYAML Engine composes the file into a node tree that keeps the start position of
 * every node; this class walks the tree against the format (checking keys, types and names itself,
 * instead of binding to classes) so that every problem gets an exact position and a fix, and so
 * that the walk continues after a problem. YAML 1.2 core schema: {@code yes}/{@code no} are
 * strings. A single-use object, confined to one thread.
 *
 * <p>About 930 lines: one walk over the whole format, because every check needs the node positions
 * and the problems collected so far. Its seam is per section (tables, column lists and masks,
 * resolvers), each a reader of its own once the format grows.
 */
final class PublicationReader extends YamlWalk {

  static final Set<String> TOP_KEYS =
      Set.of("publication", "description", "regions", "operations", "tables");
  static final Set<String> TABLE_KEYS =
      Set.of("table", "columns", "filter", "resolver", "column-resolvers", "masks");
  static final Set<String> COLUMN_KEYS = Set.of("include", "exclude");
  static final Set<String> RESOLVER_KEYS = Set.of("name", "regions");
  static final Map<String, Set<String>> MASK_KEYS =
      Map.of(
          "hash", Set.of("kind", "salt"),
          "redact", Set.of("kind", "replacement"),
          "null", Set.of("kind"),
          "keep-first", Set.of("kind", "count"),
          "keep-last", Set.of("kind", "count"));

  private static final Pattern PUBLICATION_NAME = Pattern.compile("[a-z][a-z0-9_]*");
  private static final int MAX_NAME = 63 - Publication.NATIVE_PREFIX.length();
  private static final Pattern REGION_NAME = Pattern.compile("[a-z0-9][a-z0-9_-]*");
  private static final Pattern CUSTOM_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final Pattern REFERENCE = Pattern.compile("\\$\\{([^}]*)}");
  private static final Pattern ENV_REFERENCE = Pattern.compile("env:([A-Za-z_][A-Za-z0-9_]*)");

  private final Optional<Set<String>> knownRegions;
  private SourceText source;

  PublicationReader(String file, Optional<Set<String>> knownRegions, List<Problem> problems) {
    super(file, problems);
    this.knownRegions = knownRegions;
  }

  /** Reads the file; returns empty if any problem was found (all of them added to the list). */
  Optional<Publication> read(byte[] bytes, long maxBytes) {
    int before = problems.size();
    if (bytes.length > maxBytes) {
      problem(
          SourcePosition.startOf(file),
          "file is "
              + bytes.length
              + " bytes, more than the "
              + maxBytes
              + "-byte limit for a publication file",
          "split it into several publication files; a publication this large is probably"
              + " generated and should list fewer, broader rules");
      return Optional.empty();
    }
    SourceText.Decoded decoded = SourceText.decode(bytes);
    if (decoded.error().isPresent()) {
      SourceText.EncodingError error = decoded.error().get();
      problem(
          new SourcePosition(file, error.line(), error.column()),
          error.message(),
          "save the file as UTF-8");
      return Optional.empty();
    }
    source = decoded.text().get();
    Optional<List<Node>> composed =
        YamlSyntax.compose(file, source.text(), source.lines(), problems::add);
    if (composed.isEmpty()) {
      return Optional.empty();
    }
    List<Node> documents = composed.get();
    if (documents.isEmpty()) {
      boolean comments = !source.text().isBlank() && source.onlyComments();
      problem(
          SourcePosition.startOf(file),
          comments ? "file contains only comments" : "file is empty",
          "start it with 'publication: <name>' and a 'tables:' list; see docs/publications.md");
      return Optional.empty();
    }
    if (documents.size() > 1) {
      problem(
          position(documents.get(1)),
          "file holds " + documents.size() + " YAML documents; a publication file holds one",
          "move each publication after '---' into its own file");
    }
    Optional<Publication> publication = publication(documents.get(0));
    return problems.size() == before ? publication : Optional.empty();
  }

  // ---- publication ----

  private Optional<Publication> publication(Node root) {
    if (!(root instanceof MappingNode mapping)) {
      problem(
          position(root),
          "a publication file must be a mapping of keys, found " + describe(root),
          "start it with 'publication: <name>'; see docs/publications.md");
      return Optional.empty();
    }
    Map<String, NodeTuple> keys = keys(mapping, "publication file", TOP_KEYS);
    Optional<String> name = required(keys, "publication", mapping).flatMap(this::publicationName);
    Optional<String> description =
        Optional.ofNullable(keys.get("description")).flatMap(t -> string(t, "description"));
    RegionTarget regions =
        keys.containsKey("regions") ? regions(keys.get("regions")) : new RegionTarget.All();
    Set<Operation> operations =
        keys.containsKey("operations")
            ? operations(keys.get("operations"))
            : EnumSet.allOf(Operation.class);
    List<TableRule> tables = required(keys, "tables", mapping).map(this::tables).orElse(List.of());
    if (name.isEmpty() || operations.isEmpty() || tables.isEmpty() || regions == null) {
      return Optional.empty();
    }
    return Optional.of(
        new Publication(
            name.get(),
            position(keys.get("publication").getValueNode()),
            description,
            regions,
            operations,
            tables));
  }

  private Optional<String> publicationName(NodeTuple tuple) {
    Optional<String> name = string(tuple, "publication");
    if (name.isEmpty()) {
      return Optional.empty();
    }
    String value = name.get();
    if (!PUBLICATION_NAME.matcher(value).matches() || value.length() > MAX_NAME) {
      problem(
          position(tuple.getValueNode()),
          "publication name '" + value + "' is not valid",
          "use at most "
              + MAX_NAME
              + " lower-case letters, digits and underscores, starting with a letter; it becomes"
              + " the PostgreSQL publication "
              + Publication.NATIVE_PREFIX
              + "<name>");
      return Optional.empty();
    }
    return name;
  }

  private RegionTarget regions(NodeTuple tuple) {
    Node value = tuple.getValueNode();
    if (value instanceof ScalarNode scalar && !isNull(scalar)) {
      if (scalar.getValue().equals("all")) {
        return new RegionTarget.All();
      }
      problem(
          position(value),
          "'regions' must be 'all' or a list of region names, found '" + scalar.getValue() + "'",
          "write regions: all, or a list such as regions: [" + scalar.getValue() + "]");
      return null;
    }
    Optional<List<String>> names = regionList(tuple, "regions");
    return names.<RegionTarget>map(RegionTarget.Only::new).orElse(null);
  }

  private Optional<List<String>> regionList(NodeTuple tuple, String key) {
    Optional<List<Node>> items = list(tuple, key, "region names", "[us-east, eu-west]");
    if (items.isEmpty()) {
      return Optional.empty();
    }
    boolean ok = true;
    List<String> names = new ArrayList<>();
    Map<String, Node> seen = new HashMap<>();
    for (Node item : items.get()) {
      Optional<String> name = scalarString(item, "a region name");
      if (name.isEmpty()) {
        ok = false;
        continue;
      }
      String region = name.get();
      if (seen.containsKey(region)) {
        problem(
            position(item),
            "region '"
                + region
                + "' is listed twice (first at line "
                + line(seen.get(region))
                + ")",
            "remove one of them");
        ok = false;
      } else if (!REGION_NAME.matcher(region).matches()) {
        problem(
            position(item),
            "region name '" + region + "' is not valid",
            "use lower-case letters, digits, '-' and '_', as in the agents' region settings");
        ok = false;
      } else if (knownRegions.isPresent() && !knownRegions.get().contains(region)) {
        problem(
            position(item),
            "unknown region '" + region + "'",
            DidYouMean.fix(
                region,
                knownRegions.get(),
                "known regions are " + String.join(", ", new TreeSet<>(knownRegions.get()))));
        ok = false;
      }
      seen.putIfAbsent(region, item);
      names.add(region);
    }
    return ok ? Optional.of(names) : Optional.empty();
  }

  private Set<Operation> operations(NodeTuple tuple) {
    List<String> names = List.of(Operation.values()).stream().map(Operation::fileName).toList();
    Optional<List<Node>> items = list(tuple, "operations", "operations", "[insert, update]");
    if (items.isEmpty()) {
      return Set.of();
    }
    Set<Operation> operations = EnumSet.noneOf(Operation.class);
    boolean ok = true;
    for (Node item : items.get()) {
      Optional<String> name = scalarString(item, "an operation");
      if (name.isEmpty()) {
        ok = false;
        continue;
      }
      Optional<Operation> operation =
          List.of(Operation.values()).stream()
              .filter(o -> o.fileName().equals(name.get()))
              .findFirst();
      if (operation.isEmpty()) {
        problem(
            position(item),
            "unknown operation '" + name.get() + "'",
            DidYouMean.fix(name.get(), names, "operations are " + String.join(", ", names)));
        ok = false;
      } else if (!operations.add(operation.get())) {
        problem(position(item), "operation '" + name.get() + "' is listed twice", "remove one");
        ok = false;
      }
    }
    if (ok && operations.contains(Operation.TRUNCATE) && !operations.contains(Operation.DELETE)) {
      problem(
          position(tuple.getKeyNode()),
          "operations include truncate but not delete: a TRUNCATE replicates as the deletes of"
              + " the rows it removes",
          "add delete to operations, or remove truncate (a TRUNCATE of the tables is then"
              + " refused)");
      ok = false;
    }
    return ok ? operations : Set.of();
  }

  // ---- tables ----

  private List<TableRule> tables(NodeTuple tuple) {
    Optional<List<Node>> items =
        list(tuple, "tables", "tables", "a list of entries, each '- table: schema.name'");
    if (items.isEmpty()) {
      return List.of();
    }
    List<TableRule> rules = new ArrayList<>();
    Map<TableName, SourcePosition> seen = new HashMap<>();
    boolean ok = true;
    for (Node item : items.get()) {
      Optional<TableRule> rule = table(item);
      if (rule.isEmpty()) {
        ok = false;
        continue;
      }
      SourcePosition first = seen.putIfAbsent(rule.get().table(), rule.get().position());
      if (first != null) {
        problem(
            rule.get().position(),
            "duplicate table '"
                + rule.get().table()
                + "' (first listed at line "
                + first.line()
                + ")",
            "merge the two entries into one");
        ok = false;
      }
      rules.add(rule.get());
    }
    return ok ? rules : List.of();
  }

  private Optional<TableRule> table(Node item) {
    if (!(item instanceof MappingNode mapping)) {
      problem(
          position(item),
          "each entry of 'tables' must be a mapping, found " + describe(item),
          "write the entry as '- table: schema.name'");
      return Optional.empty();
    }
    int before = problems.size();
    Map<String, NodeTuple> keys = keys(mapping, "table entry", TABLE_KEYS);
    Optional<TableName> table = required(keys, "table", mapping).flatMap(this::tableName);
    ColumnSelection columns =
        keys.containsKey("columns") ? columns(keys.get("columns")) : new ColumnSelection.All();
    Optional<RowFilter> filter = Optional.ofNullable(keys.get("filter")).flatMap(this::filter);
    SourcePosition at =
        keys.containsKey("table") ? position(keys.get("table").getValueNode()) : position(item);
    ResolverRef resolver =
        keys.containsKey("resolver")
            ? resolver(keys.get("resolver").getValueNode(), BuiltInResolver.Scope.ROW, "table")
                .orElse(null)
            : new ResolverRef(BuiltInResolver.LWW.fileName(), List.of(), at);
    List<ColumnResolver> columnResolvers =
        keys.containsKey("column-resolvers")
            ? columnResolvers(keys.get("column-resolvers"))
            : List.of();
    List<ColumnMask> masks = keys.containsKey("masks") ? masks(keys.get("masks")) : List.of();
    if (problems.size() != before || table.isEmpty() || columns == null || resolver == null) {
      return Optional.empty();
    }
    return Optional.of(
        new TableRule(table.get(), at, columns, filter, resolver, columnResolvers, masks));
  }

  private Optional<TableName> tableName(NodeTuple tuple) {
    Optional<String> text = string(tuple, "table");
    if (text.isEmpty()) {
      return Optional.empty();
    }
    Node node = tuple.getValueNode();
    List<String> parts = new ArrayList<>();
    String value = text.get();
    int i = 0;
    while (i <= value.length()) {
      if (i < value.length() && value.charAt(i) == '"') {
        StringBuilder part = new StringBuilder();
        int j = i + 1;
        while (true) {
          if (j >= value.length()) {
            problem(
                position(node),
                "table name " + value + " has an unclosed quote",
                "close the quoted part with \"");
            return Optional.empty();
          }
          if (value.charAt(j) == '"') {
            if (j + 1 < value.length() && value.charAt(j + 1) == '"') {
              part.append('"');
              j += 2;
              continue;
            }
            break;
          }
          part.append(value.charAt(j++));
        }
        parts.add(part.toString());
        i = j + 1;
      } else {
        int dot = value.indexOf('.', i);
        int end = dot < 0 ? value.length() : dot;
        parts.add(value.substring(i, end));
        i = end;
      }
      if (i < value.length() && value.charAt(i) != '.') {
        problem(
            position(node),
            "table name " + value + " has text after a quoted part",
            "write schema.table, quoting a part as a whole: \"My Schema\".orders");
        return Optional.empty();
      }
      i++;
    }
    if (parts.size() == 1) {
      problem(
          position(node),
          "table '" + value + "' is not schema-qualified",
          "write 'public." + value + "' (or the schema it lives in)");
      return Optional.empty();
    }
    if (parts.size() > 2 || parts.stream().anyMatch(String::isEmpty)) {
      problem(
          position(node),
          "table name '" + value + "' is not of the form schema.table",
          "write schema.table; quote a name that contains a dot: '\"my.schema\".orders'");
      return Optional.empty();
    }
    return Optional.of(new TableName(parts.get(0), parts.get(1)));
  }

  private ColumnSelection columns(NodeTuple tuple) {
    Node value = tuple.getValueNode();
    if (!(value instanceof MappingNode mapping)) {
      problem(
          position(value),
          "'columns' must be a mapping with 'include' or 'exclude', found " + describe(value),
          "write columns: {include: [id, status]} or columns: {exclude: [notes]}");
      return null;
    }
    Map<String, NodeTuple> keys = keys(mapping, "columns", COLUMN_KEYS);
    if (keys.containsKey("include") && keys.containsKey("exclude")) {
      problem(
          position(keys.get("exclude").getKeyNode()),
          "'columns' takes either 'include' or 'exclude', not both",
          "keep one of them");
      return null;
    }
    if (keys.isEmpty()) {
      problem(
          position(value),
          "'columns' needs 'include' or 'exclude'",
          "write columns: {include: [id, status]}, or remove 'columns' to replicate all");
      return null;
    }
    boolean include = keys.containsKey("include");
    NodeTuple list = include ? keys.get("include") : keys.get("exclude");
    Optional<List<ColumnRef>> refs = columnList(list, include ? "include" : "exclude");
    if (refs.isEmpty()) {
      return null;
    }
    return include
        ? new ColumnSelection.Include(refs.get())
        : new ColumnSelection.Exclude(refs.get());
  }

  private Optional<List<ColumnRef>> columnList(NodeTuple tuple, String key) {
    Optional<List<Node>> items = list(tuple, key, "column names", "[id, status]");
    if (items.isEmpty()) {
      return Optional.empty();
    }
    List<ColumnRef> refs = new ArrayList<>();
    Map<String, Node> seen = new HashMap<>();
    boolean ok = true;
    for (Node item : items.get()) {
      Optional<String> name = scalarString(item, "a column name");
      if (name.isEmpty()) {
        ok = false;
        continue;
      }
      if (seen.containsKey(name.get())) {
        problem(
            position(item),
            "column '"
                + name.get()
                + "' is listed twice (first at line "
                + line(seen.get(name.get()))
                + ")",
            "remove one of them");
        ok = false;
        continue;
      }
      seen.put(name.get(), item);
      refs.add(new ColumnRef(name.get(), position(item)));
    }
    return ok ? Optional.of(refs) : Optional.empty();
  }

  private Optional<RowFilter> filter(NodeTuple tuple) {
    Node node = tuple.getValueNode();
    if (!(node instanceof ScalarNode scalar) || isNull(scalar)) {
      problem(
          position(node),
          "'filter' must be a SQL condition in a string, found " + describe(node),
          "write filter: \"status <> 'draft'\"");
      return Optional.empty();
    }
    String sql = scalar.getValue();
    Mark start = scalar.getStartMark().orElseThrow();
    Mark end = scalar.getEndMark().orElse(start);
    int[][] map =
        source.align(sql, start.getLine(), start.getColumn(), end.getLine(), end.getColumn());
    try {
      return Optional.of(
          RowFilter.parse(
              sql,
              offset -> {
                int[] at = map[Math.min(Math.max(offset, 0), map.length - 1)];
                return new SourcePosition(file, at[0] + 1, at[1] + 1);
              }));
    } catch (PublicationException e) {
      problems.addAll(e.problems());
      return Optional.empty();
    }
  }

  // ---- resolvers ----

  private Optional<ResolverRef> resolver(Node node, BuiltInResolver.Scope scope, String where) {
    String name;
    Node nameNode;
    List<String> order = List.of();
    NodeTuple regionsTuple = null;
    if (node instanceof MappingNode mapping) {
      Map<String, NodeTuple> keys = keys(mapping, "resolver", RESOLVER_KEYS);
      Optional<String> given = required(keys, "name", mapping).flatMap(t -> string(t, "name"));
      if (given.isEmpty()) {
        return Optional.empty();
      }
      name = given.get();
      nameNode = keys.get("name").getValueNode();
      regionsTuple = keys.get("regions");
    } else {
      Optional<String> given = scalarString(node, "a resolver name");
      if (given.isEmpty()) {
        return Optional.empty();
      }
      name = given.get();
      nameNode = node;
    }
    SourcePosition at = position(nameNode);
    if (name.startsWith(BuiltInResolver.CUSTOM_PREFIX)) {
      String custom = name.substring(BuiltInResolver.CUSTOM_PREFIX.length());
      if (custom.isEmpty()) {
        problem(
            at,
            "custom resolver has no name after 'custom:'",
            "write custom:<name>, using the name() of your resolver plugin");
        return Optional.empty();
      }
      if (!CUSTOM_NAME.matcher(custom).matches()) {
        problem(
            at,
            "custom resolver name '" + custom + "' is not valid",
            "use letters, digits, '.', '-' and '_', starting with a letter or digit");
        return Optional.empty();
      }
    } else {
      Optional<BuiltInResolver> builtIn = BuiltInResolver.byFileName(name);
      if (builtIn.isEmpty()) {
        List<String> candidates =
            List.of(BuiltInResolver.values()).stream()
                .filter(r -> r.scope() == scope)
                .map(BuiltInResolver::fileName)
                .toList();
        List<String> all =
            List.of(BuiltInResolver.values()).stream().map(BuiltInResolver::fileName).toList();
        problem(
            at,
            "unknown resolver '" + name + "'",
            DidYouMean.suggest(name, candidates)
                .or(() -> DidYouMean.suggest(name, all))
                .map(s -> "did you mean '" + s + "'?")
                .orElse(
                    "use one of "
                        + String.join(", ", candidates)
                        + ", or custom:<name> for a plugin"));
        return Optional.empty();
      }
      BuiltInResolver resolver = builtIn.get();
      if (resolver.scope() != scope) {
        if (scope == BuiltInResolver.Scope.ROW) {
          problem(
              at,
              "'" + name + "' is a column resolver and cannot resolve whole rows of a " + where,
              "set it for a column under 'column-resolvers', and use a row resolver such as lww"
                  + " here");
        } else {
          problem(
              at,
              "'" + name + "' is a row resolver and cannot be set for a column",
              "set it as the table's 'resolver', or use column-lww for per-column last writer"
                  + " wins");
        }
        return Optional.empty();
      }
      if (resolver == BuiltInResolver.REGION_PRIORITY) {
        if (regionsTuple == null) {
          problem(
              at,
              "resolver 'region-priority' needs the regions in priority order",
              "write resolver: {name: region-priority, regions: [us-east, eu-west]}");
          return Optional.empty();
        }
        Optional<List<String>> regions = regionList(regionsTuple, "regions");
        if (regions.isEmpty()) {
          return Optional.empty();
        }
        order = regions.get();
      }
    }
    if (regionsTuple != null && !name.equals(BuiltInResolver.REGION_PRIORITY.fileName())) {
      problem(
          position(regionsTuple.getKeyNode()),
          "'regions' applies only to the region-priority resolver, not '" + name + "'",
          "remove 'regions' here");
      return Optional.empty();
    }
    return Optional.of(new ResolverRef(name, order, at));
  }

  private List<ColumnResolver> columnResolvers(NodeTuple tuple) {
    Node value = tuple.getValueNode();
    if (!(value instanceof MappingNode mapping)) {
      problem(
          position(value),
          "'column-resolvers' must map column names to resolvers, found " + describe(value),
          "write column-resolvers: {quantity: counter}");
      return List.of();
    }
    List<ColumnResolver> resolvers = new ArrayList<>();
    for (NodeTuple entry : keys(mapping, "column-resolvers", null).values()) {
      ColumnRef column =
          new ColumnRef(((ScalarNode) entry.getKeyNode()).getValue(), position(entry.getKeyNode()));
      resolver(entry.getValueNode(), BuiltInResolver.Scope.COLUMN, "column")
          .ifPresent(r -> resolvers.add(new ColumnResolver(column, r)));
    }
    return resolvers;
  }

  // ---- masks ----

  private List<ColumnMask> masks(NodeTuple tuple) {
    Node value = tuple.getValueNode();
    if (!(value instanceof MappingNode mapping)) {
      problem(
          position(value),
          "'masks' must map column names to masks, found " + describe(value),
          "write masks: {email: {kind: hash, salt: '${env:MASK_SALT}'}}");
      return List.of();
    }
    List<ColumnMask> masks = new ArrayList<>();
    for (NodeTuple entry : keys(mapping, "masks", null).values()) {
      ColumnRef column =
          new ColumnRef(((ScalarNode) entry.getKeyNode()).getValue(), position(entry.getKeyNode()));
      mask(entry.getValueNode(), column.name())
          .ifPresent(m -> masks.add(new ColumnMask(column, m)));
    }
    return masks;
  }

  private Optional<Mask> mask(Node node, String column) {
    String kind;
    Node kindNode;
    Map<String, NodeTuple> keys = Map.of();
    if (node instanceof MappingNode mapping) {
      Map<String, NodeTuple> all = keys(mapping, "mask", null);
      NodeTuple kindTuple = all.get("kind");
      if (kindTuple == null) {
        problem(
            position(node),
            "mask for column '" + column + "' has no 'kind'",
            "add kind: hash, redact, null, keep-first or keep-last");
        return Optional.empty();
      }
      Optional<String> given = string(kindTuple, "kind");
      if (given.isEmpty()) {
        return Optional.empty();
      }
      kind = given.get();
      kindNode = kindTuple.getValueNode();
      keys = all;
    } else if (node instanceof ScalarNode scalar && !scalar.getValue().isEmpty()) {
      kind = scalar.getValue();
      kindNode = node;
    } else {
      problem(
          position(node),
          "mask for column '"
              + column
              + "' must be a mask kind or a mapping, found "
              + describe(node),
          "write redact, null, or {kind: keep-last, count: 4}");
      return Optional.empty();
    }
    Set<String> allowed = MASK_KEYS.get(kind);
    if (allowed == null) {
      problem(
          position(kindNode),
          "unknown mask kind '" + kind + "'",
          DidYouMean.fix(
              kind,
              MASK_KEYS.keySet(),
              "mask kinds are " + String.join(", ", new TreeSet<>(MASK_KEYS.keySet()))));
      return Optional.empty();
    }
    boolean ok = true;
    for (Map.Entry<String, NodeTuple> entry : keys.entrySet()) {
      if (!allowed.contains(entry.getKey())) {
        Set<String> parameters = new TreeSet<>(allowed);
        parameters.remove("kind");
        problem(
            position(entry.getValue().getKeyNode()),
            "unknown key '" + entry.getKey() + "' for mask kind '" + kind + "'",
            DidYouMean.suggest(entry.getKey(), parameters)
                .map(s -> "did you mean '" + s + "'?")
                .orElse(
                    parameters.isEmpty()
                        ? "mask kind '" + kind + "' takes no parameters; remove it"
                        : "mask kind '" + kind + "' takes " + String.join(", ", parameters)));
        ok = false;
      }
    }
    if (!ok) {
      return Optional.empty();
    }
    if (kind.equals("null")) {
      return Optional.of(new Mask.Nullify());
    }
    if (kind.equals("redact")) {
      if (keys.containsKey("replacement")) {
        return string(keys.get("replacement"), "replacement").map(Mask.Redact::new);
      }
      return Optional.of(new Mask.Redact(Mask.Redact.DEFAULT_REPLACEMENT));
    }
    if (kind.equals("hash")) {
      if (!keys.containsKey("salt")) {
        problem(
            position(kindNode),
            "mask kind 'hash' needs a salt",
            "write {kind: hash, salt: '${env:MASK_SALT}'} and set MASK_SALT in the agent's"
                + " environment");
        return Optional.empty();
      }
      return salt(keys.get("salt")).map(Mask.Hash::new);
    }
    if (!keys.containsKey("count")) {
      problem(
          position(kindNode),
          "mask kind '" + kind + "' needs a count",
          "write {kind: " + kind + ", count: 4}");
      return Optional.empty();
    }
    return count(keys.get("count"), kind)
        .map(n -> kind.equals("keep-first") ? new Mask.KeepFirst(n) : new Mask.KeepLast(n));
  }

  private Optional<Secret> salt(NodeTuple tuple) {
    Node node = tuple.getValueNode();
    if (!(node instanceof ScalarNode scalar) || isNull(scalar) || scalar.getValue().isEmpty()) {
      problem(
          position(node),
          "'salt' must be a non-empty string",
          "write salt: '${env:MASK_SALT}' and set MASK_SALT in the agent's environment");
      return Optional.empty();
    }
    String value = scalar.getValue();
    Matcher reference = REFERENCE.matcher(value);
    if (reference.matches()) {
      Matcher env = ENV_REFERENCE.matcher(reference.group(1));
      if (!env.matches()) {
        problem(
            position(node),
            "salt reference is not of the form ${env:NAME}",
            "write the environment variable as ${env:MASK_SALT}");
        return Optional.empty();
      }
      return Optional.of(new Secret.EnvironmentVariable(env.group(1)));
    }
    if (value.contains("${")) {
      problem(
          position(node),
          "salt mixes text with a ${...} reference",
          "write the whole salt as one reference, ${env:MASK_SALT}");
      return Optional.empty();
    }
    return Optional.of(new Secret.Inline(value));
  }

  private Optional<Integer> count(NodeTuple tuple, String kind) {
    Node node = tuple.getValueNode();
    if (!(node instanceof ScalarNode scalar) || !Tag.INT.equals(scalar.getTag())) {
      problem(
          position(node),
          "'count' of mask kind '" + kind + "' must be a whole number, found " + describe(node),
          "write count: 4");
      return Optional.empty();
    }
    long count;
    try {
      count = Long.parseLong(scalar.getValue().replace("+", ""));
    } catch (NumberFormatException e) {
      count = Long.MAX_VALUE;
    }
    if (count < 0) {
      problem(
          position(node),
          "'count' of mask kind '" + kind + "' must be 0 or more, found " + scalar.getValue(),
          "give the number of characters to keep, e.g. count: 4");
      return Optional.empty();
    }
    if (count > 10_000) {
      problem(
          position(node),
          "'count' of mask kind '" + kind + "' is " + scalar.getValue() + ", more than 10000",
          "keeping that many characters masks nothing; use a smaller count");
      return Optional.empty();
    }
    return Optional.of((int) count);
  }

  // ---- generic node helpers ----

  private Map<String, NodeTuple> keys(MappingNode mapping, String where, Set<String> allowed) {
    return keys(mapping, where, allowed, null);
  }

  private Optional<NodeTuple> required(Map<String, NodeTuple> keys, String key, Node owner) {
    NodeTuple tuple = keys.get(key);
    if (tuple == null) {
      problem(
          position(owner),
          "missing required key '" + key + "'",
          switch (key) {
            case "publication" -> "add 'publication: <name>'";
            case "tables" -> "add a 'tables:' list with at least one '- table: schema.name'";
            case "table" -> "add 'table: schema.name'";
            default -> "add '" + key + ": ...'";
          });
      return Optional.empty();
    }
    return Optional.of(tuple);
  }

  private Optional<String> string(NodeTuple tuple, String key) {
    Node node = tuple.getValueNode();
    if (node instanceof ScalarNode scalar && !isNull(scalar)) {
      return Optional.of(scalar.getValue());
    }
    problem(
        position(node),
        "'" + key + "' must be a string, found " + describe(node),
        node instanceof ScalarNode ? "give '" + key + "' a value" : "write '" + key + ": <text>'");
    return Optional.empty();
  }

  private Optional<String> scalarString(Node node, String what) {
    if (node instanceof ScalarNode scalar && !isNull(scalar)) {
      return Optional.of(scalar.getValue());
    }
    problem(
        position(node),
        "expected " + what + ", found " + describe(node),
        "write " + what + " as plain text");
    return Optional.empty();
  }

  private Optional<List<Node>> list(NodeTuple tuple, String key, String of, String example) {
    Node node = tuple.getValueNode();
    if (!(node instanceof SequenceNode sequence)) {
      problem(
          position(node),
          "'" + key + "' must be a list of " + of + ", found " + describe(node),
          "write " + key + ": " + example);
      return Optional.empty();
    }
    if (sequence.getValue().isEmpty()) {
      problem(
          position(node),
          "'" + key + "' is an empty list",
          "list at least one, e.g. "
              + key
              + ": "
              + example
              + ", or remove the key"
              + (key.equals("regions") ? " to flow to all regions" : ""));
      return Optional.empty();
    }
    return Optional.of(sequence.getValue());
  }
}
