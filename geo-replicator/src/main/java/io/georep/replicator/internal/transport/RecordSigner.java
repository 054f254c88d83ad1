package io.georep.replicator.internal.transport;

import io.georep.replicator.AgentSettings;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeader;

/**
 * Signs and checks the records of the changes and control streams with a key the topology shares
 * ({@code signing.*}): an HMAC-SHA-256 over the key's id and the record's value, in the headers
 * {@code georep.key} (the id) and {@code georep.mac} (Base64). The frame's CRC finds corruption;
 * only this finds a record that somebody who may write to the topic made up.
 *
 * <p>With no key, records are neither signed nor checked. With a key, a record must carry a valid
 * signature by it or by the second key ({@code signing.second-key}, for rotation). Thread-safe.
 */
public final class RecordSigner {
  /** Header: the id of the key the record is signed with. */
  public static final String KEY = "georep.key";

  /** Header: the HMAC-SHA-256, Base64. */
  public static final String MAC = "georep.mac";

  private static final String ALGORITHM = "HmacSHA256";
  private static final byte[] LABEL = "georep-record-v1\0".getBytes(StandardCharsets.UTF_8);

  private final String signingId;
  private final Map<String, SecretKeySpec> keys;
  private final boolean required;

  private RecordSigner(String signingId, Map<String, SecretKeySpec> keys, boolean required) {
    this.signingId = signingId;
    this.keys = keys;
    this.required = required;
  }

  /**
   * Returns the signer of a topology's keys.
   *
   * @param signing the keys
   * @return the signer; one that neither signs nor checks when no key is set
   */
  public static RecordSigner of(AgentSettings.Signing signing) {
    Map<String, SecretKeySpec> keys = new LinkedHashMap<>();
    if (signing.enabled()) {
      keys.put(signing.keyId(), spec(signing.key()));
      if (signing.secondKeyId() != null) {
        keys.put(signing.secondKeyId(), spec(signing.secondKey()));
      }
    }
    return new RecordSigner(
        signing.keyId(), java.util.Collections.unmodifiableMap(keys), signing.required());
  }

  private static SecretKeySpec spec(String secret) {
    return new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), ALGORITHM);
  }

  /**
   * Returns whether records are signed and checked.
   *
   * @return whether a key is set
   */
  public boolean enabled() {
    return signingId != null;
  }

  /**
   * Returns the headers that sign a record's value: none when signing is off.
   *
   * @param value the record's value
   * @return {@code georep.key} and {@code georep.mac}, or nothing
   */
  public List<Header> sign(byte[] value) {
    if (signingId == null) {
      return List.of();
    }
    byte[] mac = mac(keys.get(signingId), signingId, value);
    return List.of(
        new RecordHeader(KEY, signingId.getBytes(StandardCharsets.UTF_8)),
        new RecordHeader(MAC, Base64.getEncoder().encode(mac)));
  }

  /**
   * Checks a record's signature.
   *
   * @param headers the record's headers
   * @param value the record's value
   * @return null if the record may be used (signed by a key held; unsigned while {@code
   *     signing.required} is false; anything with signing off), else what is wrong with it
   */
  public String problem(Headers headers, byte[] value) {
    if (signingId == null) {
      return null;
    }
    String id = StreamRecords.header(headers, KEY);
    String mac = StreamRecords.header(headers, MAC);
    if (id == null && mac == null && !required) {
      return null;
    }
    if (id == null || mac == null) {
      return "the record is not signed (no "
          + KEY
          + " and "
          + MAC
          + " headers), and this agent accepts only signed records (signing.key is set)";
    }
    SecretKeySpec key = keys.get(id);
    if (key == null) {
      return "the record is signed with key '"
          + StreamRecords.printable(id)
          + "', which this agent does not hold (it holds "
          + String.join(", ", keys.keySet())
          + "); every region must hold the keys the others sign with (docs/security.md,"
          + " key rotation)";
    }
    byte[] given;
    try {
      given = Base64.getDecoder().decode(mac);
    } catch (IllegalArgumentException e) {
      given = new byte[0];
    }
    if (!MessageDigest.isEqual(given, mac(key, id, value))) {
      return "the record's signature (key '"
          + id
          + "') does not match its content: it was not written by an agent holding that key,"
          + " or was altered";
    }
    return null;
  }

  private static byte[] mac(SecretKeySpec key, String id, byte[] value) {
    try {
      Mac mac = Mac.getInstance(ALGORITHM);
      mac.init(key);
      mac.update(LABEL);
      mac.update(id.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      if (value != null) {
        mac.update(value);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA-256 is not available in this JVM", e);
    }
  }
}
