package io.georep.benchmarks;

/**
 * One way of shipping a batch of row changes, prepared for one {@link CodecWorkload.Batch}: the
 * batch in the format's in-memory form (what {@link #encode()} encodes) and its encoded form (what
 * {@link #decode()} decodes) are built once, outside the measurement.
 *
 * <p>Not thread-safe: formats reuse buffers.
 */
interface BatchFormat {
  /**
   * Encodes the prepared batch.
   *
   * @return the encoded form
   */
  Object encode();

  /**
   * Decodes the prepared encoded batch back into the in-memory form.
   *
   * @return the decoded changes
   */
  Object decode();

  /**
   * Returns the size of the encoded batch.
   *
   * @return bytes
   */
  long encodedBytes();

  /**
   * Returns the format of a benchmark's {@code impl} parameter, prepared for a batch.
   *
   * @param impl {@code georep}, {@code avro}, {@code json} or {@code avro-kafka-lz4}
   * @param batch the batch
   * @return the prepared format
   */
  static BatchFormat of(String impl, CodecWorkload.Batch batch) {
    return switch (impl) {
      case "georep" -> new GeorepBatchFormat(batch);
      case "avro" -> new AvroRowFormat(batch);
      case "json" -> new DebeziumJsonFormat(batch);
      case "avro-kafka-lz4" -> new KafkaLz4AvroFormat(batch);
      default -> throw new IllegalArgumentException("unknown impl " + impl);
    };
  }
}
