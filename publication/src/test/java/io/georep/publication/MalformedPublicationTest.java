package io.georep.publication;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The table of malformed publication files: each case gives the file and the exact problems
 * (file:line:column: message — fix) it must produce. Cases marked {@code validate} are parsed and
 * then validated against {@link InMemorySchemaCatalog#shop(int)}.
 */
class MalformedPublicationTest {

  private static final Set<String> REGIONS = Set.of("us-east", "eu-west", "analytics");

  // The bytes are test input, never compared or mutated.
  @SuppressWarnings("ArrayRecordComponent")
  private record Case(String name, byte[] content, boolean validate, List<String> expected) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static Arguments parse(String name, List<String> expected, String yaml) {
    return Arguments.of(new Case(name, yaml.getBytes(StandardCharsets.UTF_8), false, expected));
  }

  private static Arguments validate(String name, List<String> expected, String yaml) {
    return Arguments.of(new Case(name, yaml.getBytes(StandardCharsets.UTF_8), true, expected));
  }

  private static Arguments bytes(String name, List<String> expected, byte[] content) {
    return Arguments.of(new Case(name, content, false, expected));
  }

  static Stream<Arguments> cases() {
    return Stream.of(CASES);
  }

  private static final Arguments[] CASES = {
    parse(
        "yaml-syntax-error",
        List.of(
            "yaml-syntax-error.yaml:4:13: quoted string is never closed — add the closing quote; inside a string, double a single quote ('') or escape a double quote (\\\")"),
        """
          publication: orders
          tables:
            - table: public.orders
              filter: "status = 'paid'
          """),
    parse(
        "tab-indentation",
        List.of(
            "tab-indentation.yaml:3:1: tab character in indentation — indent with spaces; YAML does not allow tabs for indentation"),
        "publication: orders\ntables:\n\t- table: public.orders\n"),
    parse(
        "unknown-top-level-key",
        List.of(
            "unknown-top-level-key.yaml:1:1: missing required key 'tables' — add a 'tables:' list with at least one '- table: schema.name'",
            "unknown-top-level-key.yaml:2:1: unknown key 'tabels' in publication file — did you mean 'tables'?"),
        """
          publication: orders
          tabels:
            - table: public.orders
          """),
    parse(
        "unknown-table-key",
        List.of(
            "unknown-table-key.yaml:4:5: unknown key 'resolvr' in table entry — did you mean 'resolver'?"),
        """
          publication: orders
          tables:
            - table: public.orders
              resolvr: lww
          """),
    parse(
        "tables-is-a-string",
        List.of(
            "tables-is-a-string.yaml:2:9: 'tables' must be a list of tables, found the string 'public.orders' — write tables: a list of entries, each '- table: schema.name'"),
        """
          publication: orders
          tables: public.orders
          """),
    parse(
        "include-is-a-string",
        List.of(
            "include-is-a-string.yaml:5:16: 'include' must be a list of column names, found the string 'id' — write include: [id, status]"),
        """
          publication: orders
          tables:
            - table: public.orders
              columns:
                include: id
          """),
    parse(
        "duplicate-table",
        List.of(
            "duplicate-table.yaml:5:12: duplicate table 'public.orders' (first listed at line 3) — merge the two entries into one"),
        """
          publication: orders
          tables:
            - table: public.orders
            - table: public.customers
            - table: public.orders
          """),
    parse(
        "duplicate-key",
        List.of(
            "duplicate-key.yaml:2:1: duplicate key 'publication' in publication file (first at line 1) — remove one of them; YAML keeps only one value per key"),
        """
          publication: orders
          publication: orders2
          tables:
            - table: public.orders
          """),
    parse(
        "filter-unbalanced-parenthesis",
        List.of(
            "filter-unbalanced-parenthesis.yaml:4:14: unbalanced parenthesis: '(' is never closed — add ')' at the end of the grouped expression"),
        """
          publication: orders
          tables:
            - table: public.orders
              filter: "(status = 'paid' AND (total > 10)"
          """),
    parse(
        "filter-unknown-operator",
        List.of(
            "filter-unknown-operator.yaml:4:20: unknown operator '==' — did you mean '='? SQL compares with a single '='"),
        """
          publication: orders
          tables:
            - table: public.orders
              filter: status == 'paid'
          """),
    parse(
        "filter-subquery",
        List.of(
            "filter-subquery.yaml:4:29: subqueries are not allowed in row filters — a row filter sees only the changed row; compare its columns with literals instead"),
        """
          publication: orders
          tables:
            - table: public.orders
              filter: customer_id IN (SELECT id FROM customers)
          """),
    parse(
        "filter-function-not-allowed",
        List.of(
            "filter-function-not-allowed.yaml:4:26: function 'now' is not allowed in row filters — use only lower() and upper(); PostgreSQL accepts only immutable built-in functions here, and the agent must compute the same answer"),
        """
          publication: orders
          tables:
            - table: public.orders
              filter: created_at > now()
          """),
    parse(
        "filter-in-block-scalar",
        List.of(
            "filter-in-block-scalar.yaml:6:18: casts ('::') are not supported in row filters — compare with a literal of the column's type, e.g. amount > 10"),
        """
          publication: orders
          tables:
            - table: public.orders
              filter: |
                status = 'paid'
                  AND total::int > 10
          """),
    validate(
        "unknown-column",
        List.of(
            "unknown-column.yaml:5:21: unknown column 'emial' in table 'public.customers' — did you mean 'email'?"),
        """
          publication: orders
          tables:
            - table: public.customers
              columns:
                include: [id, emial, name]
          """),
    validate(
        "unknown-column-in-filter",
        List.of(
            "unknown-column-in-filter.yaml:5:14: row filter uses unknown column 'stauts' of 'public.orders' — did you mean 'status'?"),
        """
          publication: orders
          operations: [insert]
          tables:
            - table: public.orders
              filter: "stauts = 'paid'"
          """),
    validate(
        "unknown-table",
        List.of(
            "unknown-table.yaml:3:12: table 'public.order' does not exist in the database — did you mean 'public.orders'?"),
        """
          publication: orders
          tables:
            - table: public.order
          """),
    validate(
        "mask-on-key-column",
        List.of(
            "mask-on-key-column.yaml:5:7: column 'id' is a key column of 'public.customers' and cannot be masked: masked keys would not match rows across regions — remove the mask, or exclude the table from this publication"),
        """
          publication: orders
          tables:
            - table: public.customers
              masks:
                id: redact
          """),
    validate(
        "counter-on-text-column",
        List.of(
            "counter-on-text-column.yaml:5:14: resolver 'counter' does not fit column 'notes' of type text — counter needs an integer or numeric column; use column-lww or max here"),
        """
          publication: orders
          tables:
            - table: public.orders
              column-resolvers:
                notes: counter
          """),
    validate(
        "g-counter-on-numeric-column",
        List.of(
            "g-counter-on-numeric-column.yaml:5:14: resolver 'g-counter' does not fit column 'total' of type numeric(12,2) — g-counter needs an int2, int4 or int8 column; use counter for numeric columns"),
        """
          publication: orders
          tables:
            - table: public.orders
              column-resolvers:
                total: g-counter
          """),
    validate(
        "two-phase-set-on-text-column",
        List.of(
            "two-phase-set-on-text-column.yaml:5:14: resolver '2p-set' does not fit column 'notes' of type text — 2p-set needs an array column such as text[]; use column-lww here"),
        """
          publication: orders
          tables:
            - table: public.orders
              column-resolvers:
                notes: 2p-set
          """),
    validate(
        "delta-column-without-replica-identity-full",
        List.of(
            "delta-column-without-replica-identity-full.yaml:5:15: resolver 'counter' on column 'visits' ships deltas, which need the old row, but 'public.customers' has REPLICA IDENTITY DEFAULT — run ALTER TABLE \"public\".\"customers\" REPLICA IDENTITY FULL;"),
        """
          publication: shop
          tables:
            - table: public.customers
              column-resolvers:
                visits: counter
          """),
    validate(
        "no-primary-key-no-replica-identity-full",
        List.of(
            "no-primary-key-no-replica-identity-full.yaml:3:12: table 'public.events' has neither a primary key nor REPLICA IDENTITY FULL, so its rows cannot be matched across regions — add a primary key (ALTER TABLE \"public\".\"events\" ADD PRIMARY KEY (...);) or run ALTER TABLE \"public\".\"events\" REPLICA IDENTITY FULL;"),
        """
          publication: audit
          tables:
            - table: public.events
          """),
    validate(
        "keyless-table-with-column-resolver",
        List.of(
            "keyless-table-with-column-resolver.yaml:5:7: column 'delta' has a resolver, but 'public.history' has no primary key: it replicates as a multiset of whole rows (docs/conflicts.md, \"Tables without a key\"), in which an update replaces one copy of a row by another and no column has a version of its own — remove column-resolvers for this table, or give it a primary key (ALTER TABLE \"public\".\"history\" ADD PRIMARY KEY (...);)"),
        """
          publication: bank
          tables:
            - table: public.history
              column-resolvers:
                delta: counter
          """),
    validate(
        "keyless-table-with-column-list",
        List.of(
            "keyless-table-with-column-list.yaml:5:17: 'public.history' has no primary key, so its rows are identified by all of their columns (docs/conflicts.md, \"Tables without a key\"); a column list would make different rows equal in other regions — replicate every column, or give it a primary key (ALTER TABLE \"public\".\"history\" ADD PRIMARY KEY (...);)"),
        """
          publication: bank
          tables:
            - table: public.history
              columns:
                exclude: [filler]
          """),
    validate(
        "keyless-table-with-mask",
        List.of(
            "keyless-table-with-mask.yaml:5:7: column 'filler' of 'public.history' cannot be masked: the table has no primary key, so every column is part of a row's identity, and masked values would not match rows across regions — remove the mask, or give the table a primary key (ALTER TABLE \"public\".\"history\" ADD PRIMARY KEY (...);)"),
        """
          publication: bank
          tables:
            - table: public.history
              masks:
                filler: redact
          """),
    validate(
        "filter-column-outside-replica-identity",
        List.of(
            "filter-column-outside-replica-identity.yaml:4:14: row filter uses column 'email', which is not part of the replica identity of 'public.customers'; the old row of an update or delete does not carry it — run ALTER TABLE \"public\".\"customers\" REPLICA IDENTITY FULL;, or filter only on key columns (id), or replicate only inserts"),
        """
          publication: shop
          tables:
            - table: public.customers
              filter: "email LIKE '%@example.com'"
          """),
    validate(
        "filter-type-mismatch",
        List.of(
            "filter-type-mismatch.yaml:5:22: cannot compare 'total' (a number) with '10' (text) using > — write the number without quotes"),
        """
          publication: shop
          operations: [insert]
          tables:
            - table: public.orders
              filter: "total > '10'"
          """),
    validate(
        "hash-mask-on-number-column",
        List.of(
            "hash-mask-on-number-column.yaml:5:7: mask 'hash' produces text, but column 'quantity' has type integer — use kind: null for non-text columns, or mask a text column"),
        """
          publication: shop
          tables:
            - table: public.orders
              masks:
                quantity: {kind: hash, salt: "${env:MASK_SALT}"}
          """),
    parse(
        "empty-file",
        List.of(
            "empty-file.yaml:1:1: file is empty — start it with 'publication: <name>' and a 'tables:' list; see docs/publications.md"),
        ""),
    parse(
        "only-comments",
        List.of(
            "only-comments.yaml:1:1: file contains only comments — start it with 'publication: <name>' and a 'tables:' list; see docs/publications.md"),
        """
          # orders publication
          # to be written
          """),
    bytes(
        "huge-file",
        List.of(
            "huge-file.yaml:1:1: file is 1048590 bytes, more than the 1048576-byte limit for a publication file — split it into several publication files; a publication this large is probably generated and should list fewer, broader rules"),
        huge()),
    bytes(
        "non-utf8-bytes",
        List.of(
            "non-utf8-bytes.yaml:3:22: file is not valid UTF-8: byte 0xE9 at byte offset 49 cannot be decoded — save the file as UTF-8"),
        concat(
            "publication: orders\ntables:\n  - table: public.caf".getBytes(StandardCharsets.UTF_8),
            new byte[] {(byte) 0xE9},
            "\n".getBytes(StandardCharsets.UTF_8))),
    parse(
        "unknown-operation",
        List.of("unknown-operation.yaml:2:22: unknown operation 'upsert' — did you mean 'insert'?"),
        """
          publication: orders
          operations: [insert, upsert]
          tables:
            - table: public.orders
          """),
    parse(
        "truncate-without-delete",
        List.of(
            "truncate-without-delete.yaml:2:1: operations include truncate but not delete: a TRUNCATE replicates as the deletes of the rows it removes — add delete to operations, or remove truncate (a TRUNCATE of the tables is then refused)"),
        """
          publication: orders
          operations: [insert, update, truncate]
          tables:
            - table: public.orders
          """),
    parse(
        "unknown-mask-kind",
        List.of("unknown-mask-kind.yaml:5:21: unknown mask kind 'hsah' — did you mean 'hash'?"),
        """
          publication: orders
          tables:
            - table: public.customers
              masks:
                email: {kind: hsah, salt: x}
          """),
    parse(
        "keep-first-negative",
        List.of(
            "keep-first-negative.yaml:5:40: 'count' of mask kind 'keep-first' must be 0 or more, found -2 — give the number of characters to keep, e.g. count: 4"),
        """
          publication: orders
          tables:
            - table: public.customers
              masks:
                phone: {kind: keep-first, count: -2}
          """),
    parse(
        "regions-empty-list",
        List.of(
            "regions-empty-list.yaml:2:10: 'regions' is an empty list — list at least one, e.g. regions: [us-east, eu-west], or remove the key to flow to all regions"),
        """
          publication: orders
          regions: []
          tables:
            - table: public.orders
          """),
    parse(
        "unknown-region",
        List.of("unknown-region.yaml:2:20: unknown region 'eu-wset' — did you mean 'eu-west'?"),
        """
          publication: orders
          regions: [us-east, eu-wset]
          tables:
            - table: public.orders
          """),
    parse(
        "custom-resolver-without-name",
        List.of(
            "custom-resolver-without-name.yaml:4:15: custom resolver has no name after 'custom:' — write custom:<name>, using the name() of your resolver plugin"),
        """
          publication: orders
          tables:
            - table: public.orders
              resolver: "custom:"
          """),
    parse(
        "unknown-resolver",
        List.of("unknown-resolver.yaml:4:15: unknown resolver 'lwww' — did you mean 'lww'?"),
        """
          publication: orders
          tables:
            - table: public.orders
              resolver: lwww
          """),
    parse(
        "column-resolver-as-row-resolver",
        List.of(
            "column-resolver-as-row-resolver.yaml:4:15: 'counter' is a column resolver and cannot resolve whole rows of a table — set it for a column under 'column-resolvers', and use a row resolver such as lww here"),
        """
          publication: orders
          tables:
            - table: public.orders
              resolver: counter
          """),
    parse(
        "region-priority-without-regions",
        List.of(
            "region-priority-without-regions.yaml:4:15: resolver 'region-priority' needs the regions in priority order — write resolver: {name: region-priority, regions: [us-east, eu-west]}"),
        """
          publication: orders
          tables:
            - table: public.orders
              resolver: region-priority
          """),
    parse(
        "unqualified-table",
        List.of(
            "unqualified-table.yaml:3:12: table 'orders' is not schema-qualified — write 'public.orders' (or the schema it lives in)"),
        """
          publication: orders
          tables:
            - table: orders
          """),
    parse(
        "missing-tables",
        List.of(
            "missing-tables.yaml:1:1: missing required key 'tables' — add a 'tables:' list with at least one '- table: schema.name'"),
        """
          publication: orders
          description: no tables yet
          """),
    parse(
        "invalid-publication-name",
        List.of(
            "invalid-publication-name.yaml:1:14: publication name 'Orders-EU' is not valid — use at most 56 lower-case letters, digits and underscores, starting with a letter; it becomes the PostgreSQL publication georep_<name>"),
        """
          publication: Orders-EU
          tables:
            - table: public.orders
          """),
    parse(
        "hash-without-salt",
        List.of(
            "hash-without-salt.yaml:5:14: mask kind 'hash' needs a salt — write {kind: hash, salt: '${env:MASK_SALT}'} and set MASK_SALT in the agent's environment"),
        """
          publication: orders
          tables:
            - table: public.customers
              masks:
                email: hash
          """),
    parse(
        "salt-reference-malformed",
        List.of(
            "salt-reference-malformed.yaml:5:33: salt reference is not of the form ${env:NAME} — write the environment variable as ${env:MASK_SALT}"),
        """
          publication: orders
          tables:
            - table: public.customers
              masks:
                email: {kind: hash, salt: "${MASK_SALT}"}
          """),
    parse(
        "include-and-exclude",
        List.of(
            "include-and-exclude.yaml:6:7: 'columns' takes either 'include' or 'exclude', not both — keep one of them"),
        """
          publication: orders
          tables:
            - table: public.customers
              columns:
                include: [id]
                exclude: [email]
          """),
    parse(
        "several-problems-at-once",
        List.of(
            "several-problems-at-once.yaml:2:22: unknown operation 'delet' — did you mean 'delete'?",
            "several-problems-at-once.yaml:5:15: unknown resolver 'lwww' — did you mean 'lww'?",
            "several-problems-at-once.yaml:7:21: mask kind 'keep-last' needs a count — write {kind: keep-last, count: 4}"),
        """
          publication: orders
          operations: [insert, delet]
          tables:
            - table: public.orders
              resolver: lwww
              masks:
                notes: {kind: keep-last}
          """),
    parse(
        "two-documents",
        List.of(
            "two-documents.yaml:5:1: file holds 2 YAML documents; a publication file holds one — move each publication after '---' into its own file"),
        """
          publication: orders
          tables:
            - table: public.orders
          ---
          publication: more
          tables:
            - table: public.customers
          """),
    parse(
        "root-is-a-list",
        List.of(
            "root-is-a-list.yaml:1:1: a publication file must be a mapping of keys, found a list — start it with 'publication: <name>'; see docs/publications.md"),
        """
          - publication: orders
          """),
  };

  private static byte[] huge() {
    StringBuilder text = new StringBuilder("publication: big\ntables:\n");
    int i = 0;
    while (text.length() <= PublicationParser.DEFAULT_MAX_FILE_BYTES) {
      text.append("  - table: public.t").append(i++).append('\n');
    }
    return text.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] concat(byte[]... parts) {
    int length = 0;
    for (byte[] part : parts) {
      length += part.length;
    }
    byte[] all = new byte[length];
    int at = 0;
    for (byte[] part : parts) {
      System.arraycopy(part, 0, all, at, part.length);
      at += part.length;
    }
    return all;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void parse_malformedFile_reportsExactProblems(Case c) {
    PublicationException e =
        catchThrowableOfType(
            PublicationException.class,
            () -> {
              Publication publication =
                  PublicationParser.create()
                      .withKnownRegions(REGIONS)
                      .parse(c.name() + ".yaml", c.content());
              if (c.validate()) {
                PublicationValidator.validate(List.of(publication), InMemorySchemaCatalog.shop(17));
              }
            });
    assertThat(e).as("expected problems for %s", c.name()).isNotNull();
    assertThat(e.problems()).map(Problem::toString).containsExactlyElementsOf(c.expected());
  }
}
