package io.georep.replicator.internal.transport;

import io.georep.replicator.AgentSettings;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Builds the Kafka clients of the agent from a region's client properties (bootstrap servers and
 * any TLS/SASL settings, passed through unchanged) plus the settings georep's guarantees rest on,
 * which the user cannot override.
 */
public final class KafkaClients {
  private KafkaClients() {}

  /**
   * The producer of the local changes stream: {@code acks=all}, idempotent (no duplicates or
   * reordering on retries, at most 5 requests in flight), {@code compression.type=none} (frames are
   * already LZ4-compressed), retried until {@code delivery.timeout.ms} so a broker outage of
   * minutes is ridden out.
   *
   * <p>Memory: the producer's records and its pool of batch buffers live in {@code buffer.memory},
   * which is {@code bufferBytes} but at least {@code topics.max.message.bytes} (the largest record
   * must fit); the pool keeps freed buffers, so this is memory the producer may hold for good. When
   * it is used up, {@code send} waits ({@code max.block.ms}). The changes producer passes {@code
   * shipping.max.in.flight.bytes}: its records are frames of transactions holding shipping permits,
   * whose estimated size exceeds the frames'.
   *
   * @param region the region's settings
   * @param topics the topic settings
   * @param clientId the client id
   * @param bufferBytes the producer's buffer ({@code buffer.memory}), raised to the largest record
   * @return the producer
   */
  public static KafkaProducer<byte[], byte[]> producer(
      AgentSettings.Region region, AgentSettings.Topics topics, String clientId, long bufferBytes) {
    Map<String, Object> p = base(region, clientId);
    p.put("acks", "all");
    p.put("enable.idempotence", "true");
    p.put("max.in.flight.requests.per.connection", "5");
    p.put("compression.type", "none");
    p.put("linger.ms", "0");
    p.put("retries", String.valueOf(Integer.MAX_VALUE));
    p.put("delivery.timeout.ms", String.valueOf(Duration.ofMinutes(10).toMillis()));
    p.put("request.timeout.ms", "15000");
    p.put("max.block.ms", String.valueOf(Duration.ofMinutes(10).toMillis()));
    p.put("max.request.size", String.valueOf(topics.maxMessageBytes()));
    p.put("buffer.memory", String.valueOf(Math.max(bufferBytes, topics.maxMessageBytes())));
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * A consumer without a group: partitions are assigned manually and positions come from the apply
   * progress in the database, never from Kafka's committed offsets; an out-of-range position is an
   * error ({@code auto.offset.reset=none}), never a silent jump. Fetches of at most 1 MiB and 50
   * records per poll: for small records such as heartbeats.
   *
   * @param region the region whose cluster is read
   * @param topics the topic settings
   * @param clientId the client id
   * @return the consumer
   */
  public static KafkaConsumer<byte[], byte[]> consumer(
      AgentSettings.Region region, AgentSettings.Topics topics, String clientId) {
    return consumer(region, clientId, 1 << 20, 50);
  }

  /**
   * The consumer of an origin's changes stream: as {@link #consumer(AgentSettings.Region,
   * AgentSettings.Topics, String)}, with fetches sized from the apply window ({@link
   * #changesFetchBytes}) and at most {@code apply.window.transactions} (and 500) records per poll —
   * every record holds at least one transaction, so more could not be handed on anyway.
   *
   * <p>Memory: a consumer without a group fetches only inside {@code poll}, one partition here, and
   * never while it still holds records of the last fetch; so it holds about three fetches at most
   * (one arriving, one buffered, the values handed out by the last poll), each at most {@code
   * fetch.max.bytes} — or one record batch, when a single one is larger (Kafka still returns it, so
   * no record is too big to read). While the receiver waits for window permits it does not poll,
   * and Kafka keeps the backlog.
   *
   * @param settings the agent's settings
   * @param region the region whose cluster is read
   * @param clientId the client id
   * @return the consumer
   */
  public static KafkaConsumer<byte[], byte[]> changesConsumer(
      AgentSettings settings, AgentSettings.Region region, String clientId) {
    return consumer(
        region, clientId, changesFetchBytes(settings), Math.min(500, settings.apply().window()));
  }

  /**
   * Returns the fetch size of a changes consumer ({@code fetch.max.bytes} and {@code
   * max.partition.fetch.bytes}): an eighth of {@code apply.window.bytes}, at least 64 KiB and at
   * most {@code topics.max.message.bytes}. Fetched bytes are compressed frames, so they count apart
   * from the window, which counts decoded transactions.
   *
   * @param settings the agent's settings
   * @return the bytes
   */
  public static int changesFetchBytes(AgentSettings settings) {
    long bytes = Math.max(64 << 10, settings.apply().windowBytes() / 8);
    return (int) Math.min(settings.topics().maxMessageBytes(), bytes);
  }

  private static KafkaConsumer<byte[], byte[]> consumer(
      AgentSettings.Region region, String clientId, int fetchBytes, int maxPollRecords) {
    Map<String, Object> p = base(region, clientId);
    p.remove("group.id");
    p.put("enable.auto.commit", "false");
    p.put("auto.offset.reset", "none");
    p.put("max.poll.records", String.valueOf(maxPollRecords));
    // Small fetches bound what a consumer buffers; Kafka still returns a first record larger than
    // them, so no record is too big to read.
    p.put("fetch.max.bytes", String.valueOf(fetchBytes));
    p.put("max.partition.fetch.bytes", String.valueOf(fetchBytes));
    p.put("isolation.level", "read_uncommitted");
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /**
   * An admin client for creating topics.
   *
   * @param region the region whose cluster is administered
   * @param clientId the client id
   * @return the admin client
   */
  public static Admin admin(AgentSettings.Region region, String clientId) {
    Map<String, Object> p = base(region, clientId);
    p.put("request.timeout.ms", "10000");
    p.put("default.api.timeout.ms", "20000");
    Properties props = new Properties();
    props.putAll(p);
    return Admin.create(props);
  }

  private static Map<String, Object> base(AgentSettings.Region region, String clientId) {
    Map<String, Object> p = new HashMap<>(region.kafka());
    p.put("client.id", clientId);
    p.put("reconnect.backoff.max.ms", "2000");
    return p;
  }
}
