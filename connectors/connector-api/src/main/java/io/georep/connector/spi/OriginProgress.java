package io.georep.connector.spi;

/**
 * The durable apply progress of one origin ({@code georep.apply_progress}).
 *
 * @param watermark every transaction of the origin up to this seq is applied here (0: none)
 * @param aboveCount how many transactions above the watermark are applied already
 * @param streamOffset the stream offset (Kafka offset) of the batch that carried the watermark
 *     transaction, or -1 if unknown: a receiver resumes reading there
 */
public record OriginProgress(long watermark, int aboveCount, long streamOffset) {}
