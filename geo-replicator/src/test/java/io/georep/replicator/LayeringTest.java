package io.georep.replicator;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The module layering of docs/architecture.md, checked on the compiled main classes of every module
 * on this module's class path: each module reaches only the modules below it, the agent reaches a
 * database only through the connector SPI (the wiring point {@link Connectors} excepted), and a
 * module's {@code internal} packages are reached from that module alone.
 */
class LayeringTest {
  private static final String VECTORCLOCK = "io.georep.vectorclock..";
  private static final String CRDT = "io.georep.crdt..";
  private static final String PUBLICATION = "io.georep.publication..";
  private static final String CONNECTOR_API = "io.georep.connector..";
  private static final String RESOLVERS = "io.georep.resolver..";
  private static final String APPLY_ENGINE = "io.georep.apply..";
  private static final String CONNECTORS = "io.georep.connectors..";
  private static final String AGENT = "io.georep.replicator..";
  private static final String TESTKIT = "io.georep.testkit..";

  private static JavaClasses classes;

  @BeforeAll
  static void importMainClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(location -> !location.contains("-tests.jar"))
            .importPackages("io.georep");
  }

  @Test
  void vectorClocks_dependOnNoOtherModule() {
    check(
        noClasses()
            .that()
            .resideInAPackage(VECTORCLOCK)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                CRDT, PUBLICATION, CONNECTOR_API, RESOLVERS, APPLY_ENGINE, CONNECTORS, AGENT));
  }

  @Test
  void crdtsAndPublications_dependOnVectorClocksAlone() {
    check(
        noClasses()
            .that()
            .resideInAnyPackage(CRDT, PUBLICATION)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(CONNECTOR_API, RESOLVERS, APPLY_ENGINE, CONNECTORS, AGENT));
    check(
        noClasses()
            .that()
            .resideInAPackage(PUBLICATION)
            .should()
            .dependOnClassesThat()
            .resideInAPackage(CRDT));
  }

  @Test
  void connectorApi_knowsNoResolverConnectorOrAgent() {
    check(
        noClasses()
            .that()
            .resideInAPackage(CONNECTOR_API)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(RESOLVERS, APPLY_ENGINE, CONNECTORS, AGENT));
  }

  @Test
  void resolvers_knowNoConnectorOrAgent() {
    check(
        noClasses()
            .that()
            .resideInAPackage(RESOLVERS)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(APPLY_ENGINE, CONNECTORS, AGENT));
  }

  @Test
  void theApplyEngine_knowsNoDatabaseConnectorOrAgent() {
    // The algorithm runs on any database through the row-store SPI: no connector's classes.
    check(
        noClasses()
            .that()
            .resideInAPackage(APPLY_ENGINE)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(CONNECTORS, AGENT));
  }

  @Test
  void connectors_knowNoAgent() {
    check(
        noClasses()
            .that()
            .resideInAPackage(CONNECTORS)
            .should()
            .dependOnClassesThat()
            .resideInAPackage(AGENT));
  }

  @Test
  void agent_reachesDatabasesThroughTheConnectorSpi_exceptAtTheWiringPoint() {
    check(
        noClasses()
            .that()
            .resideInAPackage(AGENT)
            .and()
            .doNotBelongToAnyOf(Connectors.class)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(CONNECTORS, APPLY_ENGINE));
  }

  @Test
  void theTestKit_staysOutOfTheProduct_andKnowsNoneOfIt() {
    check(
        noClasses()
            .that()
            .resideInAnyPackage(
                VECTORCLOCK,
                CRDT,
                PUBLICATION,
                CONNECTOR_API,
                RESOLVERS,
                APPLY_ENGINE,
                CONNECTORS,
                AGENT)
            .should()
            .dependOnClassesThat()
            .resideInAPackage(TESTKIT));
    check(
        noClasses()
            .that()
            .resideInAPackage(TESTKIT)
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage(
                VECTORCLOCK,
                CRDT,
                PUBLICATION,
                CONNECTOR_API,
                RESOLVERS,
                APPLY_ENGINE,
                CONNECTORS,
                AGENT));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "io.georep.publication",
        "io.georep.resolver",
        "io.georep.connectors.postgres",
        "io.georep.replicator"
      })
  void internalPackages_areReachedFromTheirModuleAlone(String module) {
    check(
        noClasses()
            .that()
            .resideOutsideOfPackage(module + "..")
            .should()
            .dependOnClassesThat()
            .resideInAPackage(module + "..internal.."));
  }

  @Test
  void everyModuleIsOnTheClassPath() {
    // Rules over packages with no classes pass vacuously; this keeps them meaningful.
    for (String module :
        List.of(
            VECTORCLOCK,
            CRDT,
            PUBLICATION,
            CONNECTOR_API,
            RESOLVERS,
            APPLY_ENGINE,
            CONNECTORS,
            AGENT,
            TESTKIT)) {
      String prefix = module.substring(0, module.length() - 2);
      org.assertj.core.api.Assertions.assertThat(classes.stream())
          .as("main classes of %s", prefix)
          .anyMatch(c -> c.getPackageName().startsWith(prefix));
    }
  }

  private static void check(ArchRule rule) {
    rule.check(classes);
  }
}
