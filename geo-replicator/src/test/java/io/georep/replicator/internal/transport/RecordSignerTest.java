package io.georep.replicator.internal.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.replicator.AgentSettings;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

/** Signatures of records: what is accepted, what is refused and what the refusal says. */
class RecordSignerTest {
  private static final String ONE = "one-Secret-0123456789abcdefghijklmn";
  private static final String TWO = "two-Secret-0123456789abcdefghijklmn";
  private static final byte[] FRAME = "a frame".getBytes(StandardCharsets.UTF_8);

  private static RecordSigner signer(String id, String key, String secondId, String second) {
    return RecordSigner.of(new AgentSettings.Signing(id, key, secondId, second));
  }

  private static Headers headers(List<Header> list) {
    return new RecordHeaders(list.toArray(new Header[0]));
  }

  @Test
  void signedRecord_isAcceptedByEveryHolderOfTheKey() {
    List<Header> signed = signer("k1", ONE, null, null).sign(FRAME);

    assertThat(signed).extracting(Header::key).containsExactly("georep.key", "georep.mac");
    assertThat(signer("k1", ONE, null, null).problem(headers(signed), FRAME)).isNull();
    assertThat(signer("k2", TWO, "k1", ONE).problem(headers(signed), FRAME)).isNull();
  }

  @Test
  void alteredContent_orWrongSecret_isRefused() {
    List<Header> signed = signer("k1", ONE, null, null).sign(FRAME);
    byte[] altered = "a frame!".getBytes(StandardCharsets.UTF_8);

    assertThat(signer("k1", ONE, null, null).problem(headers(signed), altered))
        .contains("signature (key 'k1') does not match its content");
    assertThat(signer("k1", TWO, null, null).problem(headers(signed), FRAME))
        .contains("does not match");
  }

  @Test
  void unknownKey_namesTheKeysHeld_missingSignature_saysSo() {
    List<Header> signed = signer("k3", ONE, null, null).sign(FRAME);

    assertThat(signer("k1", ONE, "k2", TWO).problem(headers(signed), FRAME))
        .contains("signed with key 'k3', which this agent does not hold (it holds k1, k2)")
        .doesNotContain(ONE);
    assertThat(signer("k1", ONE, null, null).problem(new RecordHeaders(), FRAME))
        .contains("not signed");
  }

  @Test
  void signatureOverTheKeyId_aMacMovedToAnotherIdIsRefused() {
    // Both regions hold k1 and k2 with the same secret text: the id is part of what is signed.
    List<Header> signed = signer("k1", ONE, null, null).sign(FRAME);
    Header mac = signed.get(1);
    Headers moved =
        headers(
            List.of(new RecordHeader("georep.key", "k2".getBytes(StandardCharsets.UTF_8)), mac));

    assertThat(signer("k1", ONE, "k2", ONE).problem(moved, FRAME)).contains("does not match");
  }

  @Test
  void notRequired_acceptsUnsigned_butStillRefusesAWrongSignature() {
    RecordSigner rollingOut =
        RecordSigner.of(new AgentSettings.Signing("k1", ONE, null, null, false));
    List<Header> forged = signer("k1", TWO, null, null).sign(FRAME);

    assertThat(rollingOut.problem(new RecordHeaders(), FRAME)).isNull();
    assertThat(rollingOut.problem(headers(forged), FRAME)).contains("does not match");
    assertThat(rollingOut.sign(FRAME)).hasSize(2);
  }

  @Test
  void noKey_signsNothing_checksNothing() {
    RecordSigner off = RecordSigner.of(AgentSettings.Signing.NONE);

    assertThat(off.enabled()).isFalse();
    assertThat(off.sign(FRAME)).isEmpty();
    assertThat(off.problem(new RecordHeaders(), FRAME)).isNull();
  }

  @Test
  void badSettings_nameTheKey_neverTheSecret() {
    assertThatThrownBy(() -> new AgentSettings.Signing("k1", "short-Secret", null, null))
        .hasMessageContaining("signing.key.secret")
        .hasMessageNotContaining("short-Secret");
    assertThatThrownBy(() -> new AgentSettings.Signing("k1", ONE, "k1", TWO))
        .hasMessageContaining("must differ");
    assertThatThrownBy(() -> new AgentSettings.Signing(null, null, "k2", TWO))
        .hasMessageContaining("without signing.key");
    assertThat(new AgentSettings.Signing("k1", ONE, "k2", TWO).toString())
        .isEqualTo("Signing[key=k1, second-key=k2]");
  }

  @Test
  void printable_replacesControlCharacters_andCutsLongText() {
    assertThat(StreamRecords.printable("a\nb\u001b[31mc")).isEqualTo("a?b?[31mc");
    assertThat(StreamRecords.printable("x".repeat(500))).hasSize(201);
    assertThat(StreamRecords.printable("y".repeat(2_000), 1_000)).hasSize(1_001);
  }
}
