package io.georep.cli.demo;

import io.georep.connectors.postgres.PostgresSchemaCatalog;
import io.georep.publication.Publication;
import io.georep.publication.PublicationParser;
import io.georep.publication.PublicationValidator;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The demo's sample schema ({@code schema.sql}) and its publication ({@code demo.yaml}), both
 * resources of this package, and the queries that compare regions.
 */
final class DemoSchema {
  /** The publication resource's file name, as it appears in messages. */
  static final String PUBLICATION_FILE = "demo.yaml";

  /** Accounts created before the load; the load's counter increments and orders use these. */
  static final int SEEDED_ACCOUNTS = 20;

  /** Profiles created before the load; the load edits them concurrently in every region. */
  static final int PROFILES = 20;

  /** Order ids are drawn from 1 to this: regions place, change and cancel the same orders. */
  static final int ORDER_IDS = 120;

  /**
   * Per table, a query of its comparable content in key order (sets as sorted distinct elements,
   * since a region shows its own writes to an array column as written until a merge sorts them).
   */
  static final Map<String, String> SNAPSHOTS;

  static {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("accounts", "SELECT id, email, owner, balance FROM accounts ORDER BY id");
    m.put(
        "profiles",
        "SELECT id, display_name, city, status,"
            + " ARRAY(SELECT DISTINCT u.tag COLLATE \"C\" FROM unnest(tags) AS u (tag) ORDER BY 1)"
            + " AS tags"
            + " FROM profiles ORDER BY id");
    m.put("orders", "SELECT id, account_id, amount, status FROM orders ORDER BY id");
    m.put("checkpoints", "SELECT region, round FROM checkpoints ORDER BY region");
    SNAPSHOTS = java.util.Collections.unmodifiableMap(m);
  }

  private DemoSchema() {}

  /**
   * Returns the schema's DDL.
   *
   * @return the SQL text
   */
  static String ddl() {
    return new String(resource("schema.sql"), StandardCharsets.UTF_8);
  }

  /**
   * Parses the publication file.
   *
   * @return the publication
   * @throws io.georep.publication.PublicationException if the file is invalid
   */
  static Publication publication() {
    return PublicationParser.create().parse(PUBLICATION_FILE, resource(PUBLICATION_FILE));
  }

  /**
   * Validates the publication against a database that holds the schema.
   *
   * @param publication the parsed publication
   * @param c a connection to the database
   * @throws io.georep.publication.PublicationException listing every problem
   * @throws SQLException if the catalog cannot be read
   */
  static void validate(Publication publication, Connection c) throws SQLException {
    PublicationValidator.validate(List.of(publication), PostgresSchemaCatalog.read(c));
  }

  /**
   * Returns the SQL that creates the seeded rows (in one region, before the load).
   *
   * @return one multi-row insert per table
   */
  static String seedSql() {
    StringBuilder accounts = new StringBuilder("INSERT INTO accounts (id, email, owner) VALUES ");
    for (int id = 1; id <= SEEDED_ACCOUNTS; id++) {
      accounts
          .append(id == 1 ? "" : ", ")
          .append('(')
          .append(id)
          .append(", 'owner")
          .append(id)
          .append("@example.org', 'owner ")
          .append(id)
          .append("')");
    }
    StringBuilder profiles = new StringBuilder("INSERT INTO profiles (id, display_name) VALUES ");
    for (int id = 1; id <= PROFILES; id++) {
      profiles.append(id == 1 ? "" : ", ").append('(').append(id).append(", 'user ").append(id);
      profiles.append("')");
    }
    return accounts + "; " + profiles;
  }

  private static byte[] resource(String name) {
    try (InputStream in = DemoSchema.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException(
            "resource io/georep/cli/demo/" + name + " is missing from the class path");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read resource " + name, e);
    }
  }
}
