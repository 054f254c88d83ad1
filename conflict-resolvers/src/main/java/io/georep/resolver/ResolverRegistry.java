package io.georep.resolver;

import io.georep.connector.ColumnSchema;
import io.georep.connector.TableSchema;
import io.georep.publication.BuiltInResolver;
import io.georep.publication.ColumnResolver;
import io.georep.publication.DidYouMean;
import io.georep.publication.ResolverRef;
import io.georep.publication.TableRule;
import io.georep.resolver.spi.ConflictResolver;
import io.georep.vectorclock.ReplicaId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The conflict resolvers the agent knows: the built-ins and the custom plugins found with {@link
 * ServiceLoader}, by name; and the translation of publication rules into {@link TablePolicy}s.
 *
 * <p>All name checks happen here, at configuration time: an unknown {@code custom:<name>} fails
 * with the list of installed plugins and a did-you-mean suggestion, two plugins with the same name
 * fail naming both classes, and a resolver that does not fit its column fails naming the file
 * position. Immutable and thread-safe once built.
 */
public final class ResolverRegistry {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");
  private static final String SERVICE_FILE =
      "META-INF/services/" + ConflictResolver.class.getName();

  private final SortedMap<String, ConflictResolver> plugins;

  private ResolverRegistry(SortedMap<String, ConflictResolver> plugins) {
    this.plugins = Collections.unmodifiableSortedMap(plugins);
  }

  /**
   * Returns a registry with the built-ins and the plugins that a class loader's {@link
   * ServiceLoader} finds.
   *
   * @param loader the class loader that sees the plugin jars; never null
   * @return the registry
   * @throws ResolverConfigurationException if a plugin cannot be loaded, has an invalid name, or
   *     two plugins share a name
   */
  public static ResolverRegistry load(ClassLoader loader) {
    List<ConflictResolver> found = new ArrayList<>();
    try {
      for (ConflictResolver r : ServiceLoader.load(ConflictResolver.class, loader)) {
        found.add(r);
      }
    } catch (ServiceConfigurationError e) {
      throw new ResolverConfigurationException(
          List.of(
              "a conflict resolver plugin could not be loaded: "
                  + e.getMessage()
                  + "; check the class named in "
                  + SERVICE_FILE
                  + " exists, is public and has a public no-argument constructor"));
    }
    return of(found);
  }

  /**
   * Returns a registry with the built-ins and the plugins on the class path of the thread's context
   * class loader (the agent's class path).
   *
   * @return the registry
   * @throws ResolverConfigurationException as {@link #load(ClassLoader)} does
   */
  public static ResolverRegistry load() {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    return load(loader != null ? loader : ResolverRegistry.class.getClassLoader());
  }

  /**
   * Returns a registry with the built-ins and the given plugins.
   *
   * @param plugins the custom resolvers; never null
   * @return the registry
   * @throws ResolverConfigurationException if a name is invalid or two plugins share a name
   */
  public static ResolverRegistry of(Collection<? extends ConflictResolver> plugins) {
    List<String> problems = new ArrayList<>();
    TreeMap<String, ConflictResolver> byName = new TreeMap<>();
    for (ConflictResolver r : plugins) {
      String name = r.name();
      if (name == null || !NAME.matcher(name).matches()) {
        problems.add(
            "conflict resolver plugin "
                + r.getClass().getName()
                + " has the invalid name "
                + (name == null ? "null" : "'" + name + "'")
                + "; name() must return 1 or more of A-Z, a-z, 0-9, '.', '_' and '-', starting"
                + " with a letter or digit");
        continue;
      }
      ConflictResolver other = byName.putIfAbsent(name, r);
      if (other != null) {
        problems.add(
            "two conflict resolver plugins are named '"
                + name
                + "': "
                + other.getClass().getName()
                + " and "
                + r.getClass().getName()
                + "; remove one jar from the agent's classpath or rename one plugin");
      }
    }
    if (!problems.isEmpty()) {
      throw new ResolverConfigurationException(problems);
    }
    return new ResolverRegistry(byName);
  }

  /**
   * Returns a registry with the built-ins only.
   *
   * @return the registry
   */
  public static ResolverRegistry builtIns() {
    return new ResolverRegistry(new TreeMap<>());
  }

  /**
   * Returns the names of the installed plugins, sorted, without the {@code custom:} prefix.
   *
   * @return the names; never null
   */
  public List<String> customNames() {
    return List.copyOf(plugins.keySet());
  }

  /**
   * Returns the built-in resolver names, as publication files write them.
   *
   * @return the names in declaration order; never null
   */
  public static List<String> builtInNames() {
    return List.of(BuiltInResolver.values()).stream().map(BuiltInResolver::fileName).toList();
  }

  /**
   * Returns the plugin with a name.
   *
   * @param name the plugin's name, without {@code custom:}; never null
   * @return the plugin
   * @throws ResolverConfigurationException if no plugin has that name; the message lists the
   *     installed ones
   */
  public ConflictResolver custom(String name) {
    ConflictResolver r = plugins.get(name);
    if (r == null) {
      throw new ResolverConfigurationException(List.of(unknownCustom(name, null)));
    }
    return r;
  }

  /**
   * Returns the row resolver a publication names for a table.
   *
   * @param ref the resolver reference; never null
   * @return the resolver
   * @throws ResolverConfigurationException if the name is unknown, names a column resolver, or a
   *     region-priority region is not a valid region name
   */
  public ConflictResolver rowResolver(ResolverRef ref) {
    List<String> problems = new ArrayList<>();
    ConflictResolver r = rowResolver(ref, problems);
    if (!problems.isEmpty()) {
      throw new ResolverConfigurationException(problems);
    }
    return r;
  }

  /**
   * Returns the policy of a table from its publication rule: the table's resolver and each
   * column's.
   *
   * @param table the table's schema (as captured); never null
   * @param rule the publication's rule for the table; never null
   * @return the policy
   * @throws ResolverConfigurationException listing every problem: unknown resolvers, a row resolver
   *     set for a column or the other way round, resolvers on key or unknown columns, resolvers
   *     that do not fit their column's type
   */
  public TablePolicy policyFor(TableSchema table, TableRule rule) {
    List<String> problems = new ArrayList<>();
    if (!rule.table().schema().equals(table.id().schema())
        || !rule.table().name().equals(table.id().name())) {
      problems.add(
          rule.position()
              + ": the rule for table "
              + rule.table()
              + " was applied to table "
              + table.id());
    }
    ConflictResolver row = rowResolver(rule.resolver(), problems);
    Map<String, ColumnPolicy> columns = new LinkedHashMap<>();
    for (ColumnResolver cr : rule.columnResolvers()) {
      String name = cr.column().name();
      int i = table.indexOf(name);
      if (i < 0) {
        problems.add(
            cr.column().position()
                + ": table "
                + table.id()
                + " has no column '"
                + name
                + "'"
                + DidYouMean.suggest(
                        name, table.columns().stream().map(ColumnSchema::name).toList())
                    .map(s -> "; did you mean '" + s + "'?")
                    .orElse(""));
        continue;
      }
      ColumnSchema column = table.column(i);
      if (column.isKey()) {
        problems.add(
            cr.column().position()
                + ": column '"
                + name
                + "' is a key column of "
                + table.id()
                + " and cannot have a resolver; keys identify rows and never conflict");
        continue;
      }
      Optional<ColumnPolicy> policy = columnPolicy(cr.resolver(), problems);
      if (policy.isEmpty()) {
        continue;
      }
      String misfit = TablePolicy.misfit(policy.get(), column);
      if (misfit != null) {
        problems.add(
            cr.resolver().position()
                + ": resolver '"
                + cr.resolver().name()
                + "' does not fit column '"
                + name
                + "' of type "
                + column.type()
                + ": "
                + misfit);
        continue;
      }
      columns.put(name, policy.get());
    }
    if (!problems.isEmpty()) {
      throw new ResolverConfigurationException(problems);
    }
    return TablePolicy.of(table, row, columns);
  }

  private ConflictResolver rowResolver(ResolverRef ref, List<String> problems) {
    Optional<String> custom = ref.customName();
    if (custom.isPresent()) {
      return customOrProblem(ref, custom.get(), problems);
    }
    Optional<BuiltInResolver> builtIn = ref.builtIn();
    if (builtIn.isEmpty()) {
      problems.add(unknownBuiltIn(ref, BuiltInResolver.Scope.ROW));
      return null;
    }
    return switch (builtIn.get()) {
      case LWW -> Resolvers.lww();
      case FIRST_WRITER_WINS -> Resolvers.firstWriterWins();
      case DELETE_WINS -> Resolvers.deleteWins();
      case UPDATE_WINS -> Resolvers.updateWins();
      case KEEP_BOTH -> Resolvers.keepBoth();
      case REGION_PRIORITY -> regionPriority(ref, problems);
      case COLUMN_LWW, COUNTER, G_COUNTER, MAX, MIN, OR_SET, G_SET, TWO_PHASE_SET -> {
        problems.add(
            ref.position()
                + ": '"
                + ref.name()
                + "' is a column resolver and cannot resolve whole rows; set it for a column"
                + " under 'column-resolvers', and use a row resolver such as lww for the table");
        yield null;
      }
    };
  }

  private Optional<ColumnPolicy> columnPolicy(ResolverRef ref, List<String> problems) {
    Optional<String> custom = ref.customName();
    if (custom.isPresent()) {
      ConflictResolver r = customOrProblem(ref, custom.get(), problems);
      return r == null ? Optional.empty() : Optional.of(new ColumnPolicy.Register(r));
    }
    Optional<BuiltInResolver> builtIn = ref.builtIn();
    if (builtIn.isEmpty()) {
      problems.add(unknownBuiltIn(ref, BuiltInResolver.Scope.COLUMN));
      return Optional.empty();
    }
    return switch (builtIn.get()) {
      case COLUMN_LWW -> Optional.of(new ColumnPolicy.Register(Resolvers.columnLww()));
      case COUNTER -> Optional.of(new ColumnPolicy.Counter());
      case MAX -> Optional.of(new ColumnPolicy.Max());
      case MIN -> Optional.of(new ColumnPolicy.Min());
      case OR_SET -> Optional.of(new ColumnPolicy.OrSet());
      case G_SET -> Optional.of(new ColumnPolicy.GSet());
      case G_COUNTER -> Optional.of(new ColumnPolicy.GCounter());
      case TWO_PHASE_SET -> Optional.of(new ColumnPolicy.TwoPhaseSet());
      case LWW, FIRST_WRITER_WINS, REGION_PRIORITY, DELETE_WINS, UPDATE_WINS, KEEP_BOTH -> {
        problems.add(
            ref.position()
                + ": '"
                + ref.name()
                + "' is a row resolver and cannot be set for a column; set it as the table's"
                + " 'resolver', or use column-lww for per-column last writer wins");
        yield Optional.empty();
      }
    };
  }

  private ConflictResolver regionPriority(ResolverRef ref, List<String> problems) {
    if (ref.regionOrder().isEmpty()) {
      problems.add(
          ref.position()
              + ": resolver 'region-priority' needs the regions in priority order; write"
              + " resolver: {name: region-priority, regions: [us-east, eu-west]}");
      return null;
    }
    List<ReplicaId> order = new ArrayList<>();
    for (String region : ref.regionOrder()) {
      try {
        ReplicaId id = ReplicaId.of(region);
        if (order.contains(id)) {
          problems.add(ref.position() + ": region-priority lists region '" + region + "' twice");
          return null;
        }
        order.add(id);
      } catch (IllegalArgumentException e) {
        problems.add(ref.position() + ": region-priority: " + e.getMessage());
        return null;
      }
    }
    return Resolvers.regionPriority(order);
  }

  private ConflictResolver customOrProblem(ResolverRef ref, String name, List<String> problems) {
    ConflictResolver r = plugins.get(name);
    if (r == null) {
      problems.add(unknownCustom(name, ref.position().toString()));
    }
    return r;
  }

  private String unknownCustom(String name, String position) {
    String suggestion =
        DidYouMean.suggest(name, plugins.keySet())
            .map(s -> "did you mean '" + BuiltInResolver.CUSTOM_PREFIX + s + "'? ")
            .orElse("");
    String available =
        plugins.isEmpty()
            ? "No custom resolvers are installed."
            : "Available custom resolvers: "
                + plugins.keySet().stream()
                    .map(s -> BuiltInResolver.CUSTOM_PREFIX + s)
                    .collect(Collectors.joining(", "))
                + ".";
    return (position == null ? "" : position + ": ")
        + "unknown resolver '"
        + BuiltInResolver.CUSTOM_PREFIX
        + name
        + "': no resolver plugin named '"
        + name
        + "' is on the agent's classpath; "
        + suggestion
        + available
        + " Built-in resolvers: "
        + String.join(", ", builtInNames())
        + ". A plugin's jar must be on the agent's classpath and list its class in "
        + SERVICE_FILE
        + ".";
  }

  private static String unknownBuiltIn(ResolverRef ref, BuiltInResolver.Scope scope) {
    List<String> candidates =
        List.of(BuiltInResolver.values()).stream()
            .filter(r -> r.scope() == scope)
            .map(BuiltInResolver::fileName)
            .toList();
    return ref.position()
        + ": unknown resolver '"
        + ref.name()
        + "'; "
        + DidYouMean.suggest(ref.name(), builtInNames())
            .map(s -> "did you mean '" + s + "'? ")
            .orElse("")
        + "use one of "
        + String.join(", ", candidates)
        + ", or custom:<name> for a plugin";
  }

  @Override
  public String toString() {
    return "resolvers " + builtInNames() + " and plugins " + plugins.keySet();
  }
}
