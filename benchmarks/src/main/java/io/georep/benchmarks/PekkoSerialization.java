package io.georep.benchmarks;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/**
 * A local Pekko actor system whose serialization extension encodes Distributed Data types with
 * Pekko's own {@code ReplicatedDataSerializer} (protobuf, and gzip for the OR-Set), exactly as a
 * Pekko cluster would put them on the wire. The system joins no cluster; its transport binds to an
 * ephemeral loopback port.
 */
final class PekkoSerialization implements AutoCloseable {
  private final ActorSystem system;
  private final Serialization serialization;

  PekkoSerialization() {
    Config config =
        ConfigFactory.parseString(
                """
                pekko.actor.provider = cluster
                pekko.remote.artery.canonical.hostname = "127.0.0.1"
                pekko.remote.artery.canonical.port = 0
                pekko.loglevel = WARNING
                pekko.log-dead-letters = off
                """)
            .withFallback(ConfigFactory.load());
    system = ActorSystem.create("georep-benchmark", config);
    serialization = SerializationExtension.get(system);
  }

  byte[] toBinary(Object value) {
    return serialization.findSerializerFor(value).toBinary(value);
  }

  @Override
  public void close() {
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().orTimeout(30, TimeUnit.SECONDS).join();
  }
}
