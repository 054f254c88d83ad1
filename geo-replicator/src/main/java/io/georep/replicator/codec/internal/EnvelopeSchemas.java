package io.georep.replicator.codec.internal;

import io.georep.replicator.codec.internal.avro.Envelope;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;

/**
 * The envelope schemas a reader knows, by fingerprint: the current one, which it writes, and the
 * writer schemas of previous minor versions, which it reads through Avro schema resolution.
 *
 * <p>The evolution rule (docs/wire-format.md): a minor version only adds fields with defaults, so
 * the current schema can read every previous one; a release keeps the envelope schema of the
 * previous minor version as a resource under {@value #PREVIOUS_DIRECTORY} and lists it in {@link
 * #PREVIOUS_VERSIONS}. Registering a schema the current one cannot read fails, so the rule is
 * checked, not just written down.
 *
 * <p>Immutable and thread-safe.
 */
public final class EnvelopeSchemas {
  /** The resource directory of previous minor versions' envelope schemas. */
  static final String PREVIOUS_DIRECTORY = "/io/georep/replicator/codec/previous/";

  /** Resource names of previous minor versions' schemas, oldest first. */
  static final List<String> PREVIOUS_VERSIONS = List.of("envelope-1.0.avsc", "envelope-1.1.avsc");

  private static final EnvelopeSchemas BUNDLED = bundle();

  private final long currentFingerprint;
  private final Map<Long, Schema> byFingerprint;

  private EnvelopeSchemas(long currentFingerprint, Map<Long, Schema> byFingerprint) {
    this.currentFingerprint = currentFingerprint;
    this.byFingerprint = Collections.unmodifiableMap(byFingerprint);
  }

  /**
   * Returns the schemas shipped with this version: the current one and the previous minor
   * version's.
   *
   * @return the registry
   */
  public static EnvelopeSchemas bundled() {
    return BUNDLED;
  }

  private static EnvelopeSchemas bundle() {
    Schema current = Envelope.getClassSchema();
    long fingerprint = fingerprint(current);
    Map<Long, Schema> map = new LinkedHashMap<>();
    map.put(fingerprint, current);
    EnvelopeSchemas schemas = new EnvelopeSchemas(fingerprint, map);
    for (String name : PREVIOUS_VERSIONS) {
      try (InputStream in = EnvelopeSchemas.class.getResourceAsStream(PREVIOUS_DIRECTORY + name)) {
        if (in == null) {
          throw new IllegalStateException("missing envelope schema resource " + name);
        }
        schemas = schemas.withPrevious(new Schema.Parser().parse(in));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read envelope schema " + name, e);
      }
    }
    return schemas;
  }

  /**
   * Returns the fingerprint of a schema: the 64-bit Rabin fingerprint of its parsing canonical
   * form, as the frame carries it.
   *
   * @param schema the schema; never null
   * @return the fingerprint
   */
  public static long fingerprint(Schema schema) {
    return SchemaNormalization.parsingFingerprint64(schema);
  }

  /**
   * Returns a registry that also reads batches written with the given older schema.
   *
   * @param writer the older envelope schema; never null
   * @return the new registry
   * @throws IllegalArgumentException if the current schema cannot read data written with it
   */
  public EnvelopeSchemas withPrevious(Schema writer) {
    Schema current = byFingerprint.get(currentFingerprint);
    SchemaCompatibility.SchemaPairCompatibility result =
        SchemaCompatibility.checkReaderWriterCompatibility(current, writer);
    if (result.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      throw new IllegalArgumentException(
          "the current envelope schema cannot read the older schema: "
              + result.getDescription()
              + "; a minor version may only add fields with defaults");
    }
    Map<Long, Schema> map = new LinkedHashMap<>(byFingerprint);
    map.put(fingerprint(writer), writer);
    return new EnvelopeSchemas(currentFingerprint, map);
  }

  /**
   * Returns the fingerprint of the current schema, which this version writes.
   *
   * @return the fingerprint
   */
  public long currentFingerprint() {
    return currentFingerprint;
  }

  /**
   * Returns the current schema.
   *
   * @return the schema this version writes
   */
  public Schema current() {
    return byFingerprint.get(currentFingerprint);
  }

  /**
   * Returns the writer schema with the given fingerprint.
   *
   * @param fingerprint the fingerprint from a frame
   * @return the schema, or null if unknown
   */
  public Schema writerSchema(long fingerprint) {
    return byFingerprint.get(fingerprint);
  }

  /**
   * Returns every known fingerprint.
   *
   * @return the fingerprints, current first
   */
  public Set<Long> known() {
    return byFingerprint.keySet();
  }
}
