package io.georep.crdt;

import io.georep.vectorclock.Dot;
import io.georep.vectorclock.ReplicaId;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.Arrays;
import java.util.TreeSet;

/**
 * The sorted replica ids of a causal context, written once so that every dot of a causal CRDT is
 * encoded as a small table index and a sequence number instead of repeating the replica's name.
 * Decoded dots share the table's {@link ReplicaId} instances.
 */
final class ReplicaTable {
  private static final ReplicaId[] NONE = new ReplicaId[0];

  private final ReplicaId[] replicas;
  private ReplicaId lastOrigin;
  private int lastIndex;

  private ReplicaTable(ReplicaId[] replicas) {
    this.replicas = replicas;
  }

  static ReplicaTable of(CausalContext context) {
    Dot[] cloud = context.cloudArray();
    if (cloud.length == 0) {
      return new ReplicaTable(context.vector().entries().keySet().toArray(NONE));
    }
    TreeSet<ReplicaId> ids = new TreeSet<>(context.vector().entries().keySet());
    for (Dot d : cloud) {
      ids.add(d.origin());
    }
    return new ReplicaTable(ids.toArray(NONE));
  }

  ReplicaId[] replicas() {
    return replicas;
  }

  void writeTo(CompactWriter out) {
    out.writeUnsigned(replicas.length);
    for (ReplicaId r : replicas) {
      r.writeTo(out);
    }
  }

  static ReplicaTable readFrom(CompactReader in) {
    int count = in.readCount("replica table", 2);
    ReplicaId[] ids = new ReplicaId[count];
    for (int i = 0; i < count; i++) {
      int at = in.position();
      ids[i] = ReplicaId.readFrom(in);
      if (i > 0 && ids[i - 1].compareTo(ids[i]) >= 0) {
        throw new MalformedEncodingException("replica table out of order or duplicated", at);
      }
    }
    return new ReplicaTable(ids);
  }

  /** Writes the dot as (table index, seq); the dot's origin must be in the table. */
  void writeDot(Dot dot, CompactWriter out) {
    out.writeUnsigned(indexOf(dot.origin()));
    out.writeUnsigned(dot.seq());
  }

  @SuppressWarnings("ReferenceEquality") // an identity cache: dots of one state share instances
  int indexOf(ReplicaId origin) {
    if (origin != lastOrigin) {
      int i = Arrays.binarySearch(replicas, origin);
      if (i < 0) {
        throw new IllegalStateException("dot origin " + origin + " is not in the causal context");
      }
      lastOrigin = origin;
      lastIndex = i;
    }
    return lastIndex;
  }

  int readIndex(CompactReader in) {
    if (replicas.length == 0) {
      throw new MalformedEncodingException("dot refers to an empty replica table", in.position());
    }
    return (int) in.readUnsigned("replica table index", 0, replicas.length - 1L);
  }

  Dot readDot(CompactReader in) {
    int index = readIndex(in);
    return new Dot(replicas[index], in.readUnsigned("dot sequence number", 1, Long.MAX_VALUE));
  }
}
