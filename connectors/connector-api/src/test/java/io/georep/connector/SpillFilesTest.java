package io.georep.connector;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpillFilesTest {
  @TempDir Path dir;

  /** The pid of a real process that has exited. */
  private static long deadPid() throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-version")
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    p.waitFor();
    assertThat(ProcessHandle.of(p.pid())).as("the process has exited").isEmpty();
    return p.pid();
  }

  @Test
  void sweep_removesOnlyTheFilesOfThisKindWhoseOwnerIsGone() throws Exception {
    long dead = deadPid();
    long self = ProcessHandle.current().pid();
    Path orphan = Files.createFile(dir.resolve("georep-tx-" + dead + "-123.spill"));
    Path mine = Files.createFile(dir.resolve("georep-tx-" + self + "-456.spill"));
    Path otherKind = Files.createFile(dir.resolve("georep-spill-" + dead + "-7.frames"));
    Path noPid = Files.createFile(dir.resolve("georep-tx-98765.spill"));
    Path notANumber = Files.createFile(dir.resolve("georep-tx-abc-1.spill"));

    assertThat(SpillFiles.sweep(dir, "georep-tx-", ".spill")).containsExactly(orphan);

    assertThat(orphan).doesNotExist();
    assertThat(mine).exists();
    assertThat(otherKind).exists();
    assertThat(noPid).exists();
    assertThat(notANumber).exists();
  }

  @Test
  void create_namesTheFileAfterThisProcess_andSweepsTheDirectoryOnce() throws Exception {
    long dead = deadPid();
    Path orphan = Files.createFile(dir.resolve("georep-spill-" + dead + "-1.frames"));

    SpillFiles.Created first = SpillFiles.create(dir, "georep-spill-", ".frames");
    Path laterOrphan = Files.createFile(dir.resolve("georep-spill-" + dead + "-2.frames"));
    SpillFiles.Created second = SpillFiles.create(dir, "georep-spill-", ".frames");

    assertThat(first.removed()).containsExactly(orphan);
    assertThat(second.removed()).as("one sweep per directory and kind").isEmpty();
    assertThat(laterOrphan).exists();
    for (SpillFiles.Created c : new SpillFiles.Created[] {first, second}) {
      assertThat(c.file()).exists().hasParent(dir);
      assertThat(SpillFiles.owner(c.file().getFileName().toString(), "georep-spill-", ".frames"))
          .isEqualTo(ProcessHandle.current().pid());
    }
  }
}
