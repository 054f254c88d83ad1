package io.georep.replicator.internal.status;

import static org.assertj.core.api.Assertions.assertThat;

import io.georep.connector.TableId;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class CopyProgressTest {
  private final AtomicLong now = new AtomicLong(1_000_000);
  private final CopyProgress progress = new CopyProgress(now::get);
  private final TableId accounts = TableId.of("public", "accounts");

  @Test
  void progress_rateAndTimeLeft_fromTheTablesFirstReport() {
    progress.onProgress(accounts, 0, 1_000, false);
    assertThat(progress.tables().get("public.accounts").etaSeconds()).isEqualTo(-1);
    now.addAndGet(2_000);
    progress.onProgress(accounts, 500, 1_000, false);
    CopyProgress.Table t = progress.tables().get("public.accounts");
    assertThat(t.rowsPerSecond()).isEqualTo(250.0);
    assertThat(t.etaSeconds()).isEqualTo(2);
    assertThat(t.percent()).isEqualTo(50);
    now.addAndGet(2_000);
    progress.onProgress(accounts, 1_010, 1_000, true);
    t = progress.tables().get("public.accounts");
    assertThat(t.etaSeconds()).isZero();
    assertThat(t.rowsPerSecond()).isEqualTo(252.5);
  }

  @Test
  void progress_withoutEstimateOrPastIt_hasNoTimeLeft() {
    TableId history = TableId.of("public", "history");
    progress.onProgress(history, 0, -1, false);
    now.addAndGet(1_000);
    progress.onProgress(history, 100, -1, false);
    assertThat(progress.tables().get("public.history").etaSeconds()).isEqualTo(-1);
    progress.onProgress(accounts, 0, 10, false);
    now.addAndGet(1_000);
    progress.onProgress(accounts, 20, 10, false);
    assertThat(progress.tables().get("public.accounts").etaSeconds()).isEqualTo(-1);
    assertThat(progress.tables().get("public.accounts").percent()).isEqualTo(99);
  }

  @Test
  void settled_onlyOnceTheSourceSaysSo_andStays() {
    assertThat(progress.settled()).isFalse();
    progress.onProgress(accounts, 5, 5, true);
    assertThat(progress.settled()).isFalse();
    progress.onCopySettled();
    progress.onCopySettled();
    assertThat(progress.settled()).isTrue();
  }

  @Test
  void duration_rendersHoursMinutesSeconds() {
    assertThat(CopyProgress.duration(42)).isEqualTo("42s");
    assertThat(CopyProgress.duration(185)).isEqualTo("3m 05s");
    assertThat(CopyProgress.duration(3_720)).isEqualTo("1h 02m");
  }
}
