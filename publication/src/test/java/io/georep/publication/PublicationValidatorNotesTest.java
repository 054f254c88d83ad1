package io.georep.publication;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class PublicationValidatorNotesTest {
  @Test
  void notes_keylessTable_statesTheMultisetSemantics() {
    Publication p =
        PublicationParser.create()
            .parse(
                "bank.yaml",
                """
                publication: bank
                tables:
                  - table: public.orders
                  - table: public.history
                """
                    .getBytes(StandardCharsets.UTF_8));
    InMemorySchemaCatalog catalog = InMemorySchemaCatalog.shop(15);
    assertThat(PublicationValidator.problems(List.of(p), catalog)).isEmpty();
    assertThat(PublicationValidator.notes(List.of(p), catalog))
        .containsExactly(
            "bank.yaml:1:14: a TRUNCATE of a table of publication 'bank' replicates as the deletes"
                + " of the rows it removes (rows inserted concurrently in other regions stay; see"
                + " docs/conflicts.md, \"Truncate\")",
            "bank.yaml:4:12: table 'public.history' has no primary key: it replicates as a"
                + " multiset of whole rows (equal rows allowed; a delete removes one copy, an"
                + " update replaces one copy; see docs/conflicts.md, \"Tables without a key\")");
  }
}
