package io.georep.resolver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.connector.ColumnSchema;
import io.georep.connector.ScalarType;
import io.georep.connector.TableId;
import io.georep.connector.TableSchema;
import io.georep.publication.ColumnRef;
import io.georep.publication.ColumnResolver;
import io.georep.publication.ColumnSelection;
import io.georep.publication.ResolverRef;
import io.georep.publication.SourcePosition;
import io.georep.publication.TableName;
import io.georep.publication.TableRule;
import io.georep.resolver.plugin.ShortestTextWins;
import io.georep.resolver.spi.ConflictResolver;
import io.georep.resolver.spi.ConflictSet;
import io.georep.resolver.spi.Resolution;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ResolverRegistryTest {
  private static final SourcePosition AT = new SourcePosition("orders.yaml", 12, 17);
  private static final TableSchema ORDERS =
      TableSchema.of(
          TableId.of("public", "orders"),
          List.of(
              ColumnSchema.key("id", ScalarType.INT8, 1),
              ColumnSchema.of("status", ScalarType.TEXT, true),
              ColumnSchema.of("quantity", ScalarType.INT4, true),
              ColumnSchema.of("tags", ScalarType.TEXT.arrayType(), true)));

  /** A named plugin for duplicate checks. */
  private static ConflictResolver named(String name) {
    return new ConflictResolver() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Resolution resolve(ConflictSet conflict) {
        return Resolution.choose(conflict.latest());
      }
    };
  }

  @Test
  void custom_unknownName_failsListingAvailableOnes() {
    ResolverRegistry registry =
        ResolverRegistry.of(List.of(new ShortestTextWins(), named("loyalty-points")));
    assertThatThrownBy(() -> registry.custom("shortest-txt-wins"))
        .isInstanceOf(ResolverConfigurationException.class)
        .hasMessage(
            "unknown resolver 'custom:shortest-txt-wins': no resolver plugin named"
                + " 'shortest-txt-wins' is on the agent's classpath; did you mean"
                + " 'custom:shortest-text-wins'? Available custom resolvers:"
                + " custom:loyalty-points, custom:shortest-text-wins. Built-in resolvers: lww,"
                + " column-lww, first-writer-wins, region-priority, delete-wins, update-wins,"
                + " keep-both, counter, g-counter, max, min, or-set, g-set, 2p-set. A plugin's jar must be on the"
                + " agent's classpath and list its class in"
                + " META-INF/services/io.georep.resolver.spi.ConflictResolver.");
  }

  @Test
  void policyFor_unknownCustomResolver_failsAtConfigurationTimeWithPosition() {
    TableRule rule = rule(ref("custom:nope"), List.of());
    assertThatThrownBy(() -> ResolverRegistry.builtIns().policyFor(ORDERS, rule))
        .isInstanceOf(ResolverConfigurationException.class)
        .hasMessageStartingWith(
            "orders.yaml:12:17: unknown resolver 'custom:nope': no resolver plugin named 'nope'"
                + " is on the agent's classpath; No custom resolvers are installed.");
  }

  @Test
  void of_duplicateNames_failsNamingBothClasses() {
    assertThatThrownBy(
            () -> ResolverRegistry.of(List.of(new ShortestTextWins(), new ShortestTextWins())))
        .isInstanceOf(ResolverConfigurationException.class)
        .hasMessageContaining("two conflict resolver plugins are named 'shortest-text-wins'")
        .hasMessageContaining(ShortestTextWins.class.getName());
  }

  @Test
  void of_invalidName_fails() {
    assertThatThrownBy(() -> ResolverRegistry.of(List.of(named("has space"))))
        .isInstanceOf(ResolverConfigurationException.class)
        .hasMessageContaining("invalid name 'has space'");
  }

  @Test
  void load_pluginInSeparateJar_foundByNameThroughServiceLoader(@TempDir Path dir)
      throws IOException {
    assertThat(ResolverRegistry.load(getClass().getClassLoader()).customNames())
        .as("the test plugin is not registered on the class path itself")
        .doesNotContain("shortest-text-wins");
    Path jar = dir.resolve("shortest-text-wins.jar");
    try (OutputStream file = Files.newOutputStream(jar);
        JarOutputStream out = new JarOutputStream(file)) {
      out.putNextEntry(new JarEntry("META-INF/services/" + ConflictResolver.class.getName()));
      out.write((ShortestTextWins.class.getName() + "\n").getBytes(StandardCharsets.UTF_8));
      out.closeEntry();
      String classFile = ShortestTextWins.class.getName().replace('.', '/') + ".class";
      out.putNextEntry(new JarEntry(classFile));
      try (InputStream in = getClass().getClassLoader().getResourceAsStream(classFile)) {
        in.transferTo(out);
      }
      out.closeEntry();
    }
    try (URLClassLoader loader =
        new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader())) {
      ResolverRegistry registry = ResolverRegistry.load(loader);
      assertThat(registry.customNames()).contains("shortest-text-wins");
      TablePolicy policy =
          registry.policyFor(
              ORDERS,
              rule(
                  ref("lww"),
                  List.of(new ColumnResolver(col("status"), ref("custom:shortest-text-wins")))));
      assertThat(policy.columnPolicies().get("status").name()).isEqualTo("shortest-text-wins");
    }
  }

  @Test
  void policyFor_publicationRule_mapsRowAndColumnResolvers() {
    TableRule rule =
        rule(
            new ResolverRef("region-priority", List.of("us-east", "eu-west"), AT),
            List.of(
                new ColumnResolver(col("quantity"), ref("counter")),
                new ColumnResolver(col("tags"), ref("or-set")),
                new ColumnResolver(col("status"), ref("column-lww"))));
    TablePolicy policy = ResolverRegistry.builtIns().policyFor(ORDERS, rule);
    assertThat(policy.rowResolver().name()).isEqualTo("region-priority");
    assertThat(policy.columnPolicies())
        .containsEntry("quantity", new ColumnPolicy.Counter())
        .containsEntry("tags", new ColumnPolicy.OrSet());
    assertThat(policy.columnPolicies().get("status").name()).isEqualTo("column-lww");
  }

  @Test
  void policyFor_misfitsAndKeyColumns_reportsEveryProblemAtOnce() {
    TableRule rule =
        rule(
            ref("counter"),
            List.of(
                new ColumnResolver(col("status"), ref("counter")),
                new ColumnResolver(col("id"), ref("max")),
                new ColumnResolver(col("quantty"), ref("max")),
                new ColumnResolver(col("tags"), ref("lww"))));
    assertThatThrownBy(() -> ResolverRegistry.builtIns().policyFor(ORDERS, rule))
        .isInstanceOf(ResolverConfigurationException.class)
        .satisfies(
            e -> {
              List<String> problems = ((ResolverConfigurationException) e).problems();
              assertThat(problems).hasSize(5);
              assertThat(problems.get(0))
                  .contains("'counter' is a column resolver and cannot resolve whole rows");
              assertThat(problems.get(1))
                  .contains("resolver 'counter' does not fit column 'status' of type text");
              assertThat(problems.get(2)).contains("'id' is a key column");
              assertThat(problems.get(3)).contains("did you mean 'quantity'?");
              assertThat(problems.get(4)).contains("'lww' is a row resolver");
            });
  }

  @Test
  void policyFor_unknownBuiltIn_suggestsClosest() {
    assertThatThrownBy(
            () -> ResolverRegistry.builtIns().policyFor(ORDERS, rule(ref("lwww"), List.of())))
        .hasMessage(
            "orders.yaml:12:17: unknown resolver 'lwww'; did you mean 'lww'? use one of lww,"
                + " first-writer-wins, region-priority, delete-wins, update-wins, keep-both, or"
                + " custom:<name> for a plugin");
  }

  private static ResolverRef ref(String name) {
    return new ResolverRef(name, List.of(), AT);
  }

  private static ColumnRef col(String name) {
    return new ColumnRef(name, AT);
  }

  private static TableRule rule(ResolverRef resolver, List<ColumnResolver> columns) {
    return new TableRule(
        new TableName("public", "orders"),
        AT,
        new ColumnSelection.All(),
        Optional.empty(),
        resolver,
        columns,
        List.of());
  }
}
