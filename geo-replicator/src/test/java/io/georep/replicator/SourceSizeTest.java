package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every main source file of the repository over {@value #LIMIT} lines says at the top of its type
 * why it is that long ("About N lines: …", with the reason and the seam it would split along).
 */
class SourceSizeTest {
  private static final int LIMIT = 600;
  private static final Pattern TYPE =
      Pattern.compile(
          "(?m)^(?:public |final |abstract |sealed |non-sealed )*(?:class|interface|record|enum)"
              + " ");
  private static final Pattern SIZE_NOTE = Pattern.compile("About [0-9][0-9,]* lines");

  @Test
  void longMainSources_sayWhyAtTheTop() throws IOException {
    Path root = repositoryRoot();
    List<String> unexplained = new ArrayList<>();
    int long_ = 0;
    try (Stream<Path> files = Files.walk(root)) {
      for (Path f :
          files
              .filter(p -> p.toString().endsWith(".java"))
              .filter(p -> p.toString().contains("/src/main/java/"))
              .filter(p -> !p.toString().contains("/target/"))
              .toList()) {
        List<String> lines = Files.readAllLines(f, StandardCharsets.UTF_8);
        if (lines.size() <= LIMIT) {
          continue;
        }
        long_++;
        if (!explained(String.join("\n", lines))) {
          unexplained.add(root.relativize(f) + " (" + lines.size() + " lines)");
        }
      }
    }
    assertThat(long_).as("main sources over %d lines found under %s", LIMIT, root).isPositive();
    assertThat(unexplained)
        .as(
            "main sources over %d lines without \"About N lines: why\" in the comment of their"
                + " type",
            LIMIT)
        .isEmpty();
  }

  /** Whether the comment right before the file's first top-level type holds the size note. */
  private static boolean explained(String text) {
    Matcher type = TYPE.matcher(text);
    if (!type.find()) {
      return false;
    }
    int start = text.lastIndexOf("/**", type.start());
    return start >= 0 && SIZE_NOTE.matcher(text.substring(start, type.start())).find();
  }

  private static Path repositoryRoot() {
    Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
    while (dir != null && !Files.isDirectory(dir.resolve("geo-replicator"))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("the repository root above %s", System.getProperty("user.dir")).isNotNull();
    return dir;
  }
}
