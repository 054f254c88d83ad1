package io.georep.vectorclock.testkit;

import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.VersionVector;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;

/** Seeded generators of the causal core's values, for property tests in every module. */
public final class Generators {
  private static final List<ReplicaId> REPLICAS =
      List.of(
          ReplicaId.of("ap-south"),
          ReplicaId.of("eu-west"),
          ReplicaId.of("us-east"),
          ReplicaId.of("us-west"),
          ReplicaId.of("sa-east"));

  private Generators() {}

  /**
   * Returns the first {@code n} of a fixed list of replica names (at most 5).
   *
   * @param n how many replicas
   * @return the replicas, in a fixed order
   */
  public static List<ReplicaId> replicas(int n) {
    return REPLICAS.subList(0, n);
  }

  /**
   * Picks one of the first {@code n} replicas.
   *
   * @param random the generator
   * @param n how many replicas to choose from, at most 5
   * @return a replica
   */
  public static ReplicaId replica(SplittableRandom random, int n) {
    return REPLICAS.get(random.nextInt(n));
  }

  /**
   * Generates a version vector over up to {@code n} replicas with counters up to {@code max}.
   *
   * @param random the generator
   * @param n how many replicas may appear
   * @param max the largest counter
   * @return a vector
   */
  public static VersionVector versionVector(SplittableRandom random, int n, long max) {
    TreeMap<ReplicaId, Long> entries = new TreeMap<>();
    for (ReplicaId r : replicas(n)) {
      if (random.nextBoolean()) {
        entries.put(r, max == Long.MAX_VALUE ? random.nextLong() >>> 1 : random.nextLong(max + 1));
      }
    }
    return VersionVector.of(entries);
  }

  /**
   * Generates a dot over up to {@code n} replicas with a sequence number up to {@code max}.
   *
   * @param random the generator
   * @param n how many replicas may appear
   * @param max the largest sequence number, at least 1
   * @return a dot
   */
  public static Dot dot(SplittableRandom random, int n, long max) {
    return new Dot(replica(random, n), 1 + random.nextLong(max));
  }

  /**
   * Generates a hybrid timestamp. Wall times cluster in a few milliseconds so that ties on wall
   * time and logical counter occur often.
   *
   * @param random the generator
   * @param n how many replicas may appear
   * @return a timestamp
   */
  public static HybridTimestamp timestamp(SplittableRandom random, int n) {
    long wall =
        random.nextBoolean() ? 1_700_000_000_000L + random.nextInt(4) : random.nextLong(1L << 45);
    return new HybridTimestamp(wall, random.nextInt(3), replica(random, n));
  }

  /**
   * Generates random bytes of a random length up to {@code maxLength}.
   *
   * @param random the generator
   * @param maxLength the longest array
   * @return the bytes
   */
  public static byte[] bytes(SplittableRandom random, int maxLength) {
    byte[] b = new byte[random.nextInt(maxLength + 1)];
    random.nextBytes(b);
    return b;
  }

  /**
   * Returns mutations of a valid encoding: truncations, flipped bits, inserted and deleted bytes.
   *
   * @param random the generator
   * @param valid a valid encoding
   * @param count how many mutants
   * @return the mutants, possibly some equal to {@code valid}
   */
  public static List<byte[]> mutants(SplittableRandom random, byte[] valid, int count) {
    List<byte[]> out = new ArrayList<>(count);
    for (int k = 0; k < count; k++) {
      byte[] m;
      switch (random.nextInt(4)) {
        case 0 -> m = java.util.Arrays.copyOf(valid, random.nextInt(valid.length + 1));
        case 1 -> {
          m = valid.clone();
          if (m.length > 0) {
            m[random.nextInt(m.length)] ^= (byte) (1 << random.nextInt(8));
          }
        }
        case 2 -> {
          m = new byte[valid.length + 1];
          int at = random.nextInt(valid.length + 1);
          System.arraycopy(valid, 0, m, 0, at);
          m[at] = (byte) random.nextInt(256);
          System.arraycopy(valid, at, m, at + 1, valid.length - at);
        }
        default -> {
          if (valid.length == 0) {
            m = valid.clone();
          } else {
            int at = random.nextInt(valid.length);
            m = new byte[valid.length - 1];
            System.arraycopy(valid, 0, m, 0, at);
            System.arraycopy(valid, at + 1, m, at, valid.length - at - 1);
          }
        }
      }
      out.add(m);
    }
    return out;
  }
}
