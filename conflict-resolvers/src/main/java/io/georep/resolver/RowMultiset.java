package io.georep.resolver;

import io.georep.vectorclock.Dot;
import io.georep.vectorclock.HybridTimestamp;
import io.georep.vectorclock.VersionVector;
import io.georep.vectorclock.encoding.CompactReader;
import io.georep.vectorclock.encoding.CompactWriter;
import io.georep.vectorclock.encoding.MalformedEncodingException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The replicated state of the copies of one row value in a table without a key: a multiset entry.
 *
 * <h2>Design</h2>
 *
 * <p>A table without a primary key or unique index ({@code REPLICA IDENTITY FULL}) may hold equal
 * rows, and nothing names one of them: PostgreSQL's change stream says "a row with these values was
 * deleted". The replicated table is therefore a multiset, and the state of one row value is the set
 * of its <em>copies</em>, an observed-remove set (Shapiro et al. 2011) whose elements are the
 * inserts:
 *
 * <ul>
 *   <li>An insert adds a copy named {@link CopyId} = the inserting transaction's dot plus the
 *       change's ordinal among that transaction's inserts of the value. Concurrent inserts of equal
 *       rows in two regions are two copies: no insert is lost.
 *   <li>A delete removes <em>one</em> copy, and every region must remove the same one although the
 *       delete does not name it. It removes the first copy (in {@link CopyId} order) that its
 *       transaction had <em>observed live</em>: a copy whose insert its causal context covers (or
 *       an earlier change of the same transaction made), and which no removal it had observed
 *       removed. That choice reads only the delete's causal past, which the causal gate applies
 *       before it in every region, so every region picks the same copy in any arrival order.
 *       Removals by concurrent deletes are ignored by the choice: two regions that delete "one of"
 *       the same equal rows at the same time remove the same copy, as two sessions of one database
 *       deleting the same row would. A delete that observed no live copy removes nothing.
 *   <li>An update of a row of such a table is a delete of one copy of the old value and an insert
 *       of a copy of the new value (the values are the row's only identity). Concurrent updates of
 *       the same copy therefore keep both new values.
 * </ul>
 *
 * <p>The number of rows the table shows for the value is {@link #liveCount()}: the copies without a
 * removal. Merging is commutative, associative and idempotent per write (a transaction's dot is
 * recorded, {@link #contains}), so regions that merged the same writes hold equal states. A copy
 * whose removal is causally stable (every region has applied it) can never be chosen again and is
 * dropped by {@link #prune}.
 *
 * <p>Immutable and thread-safe; copies are kept sorted by id, so equal states encode to equal
 * bytes.
 */
public final class RowMultiset {
  private static final int FORMAT = 1;
  private static final RowMultiset EMPTY = new RowMultiset(List.of());

  private final List<Copy> copies;

  private RowMultiset(List<Copy> copies) {
    this.copies = copies;
  }

  /**
   * The name of a copy: the inserting transaction and the ordinal of the insert among that
   * transaction's inserts of the same value (from 0). Ordered by dot, then ordinal.
   *
   * @param dot the inserting (or, for a removal, the deleting) transaction; never null
   * @param ordinal the ordinal; not negative
   */
  public record CopyId(Dot dot, int ordinal) implements Comparable<CopyId> {
    /** Validates the id. */
    public CopyId {
      Objects.requireNonNull(dot, "dot");
      if (ordinal < 0) {
        throw new IllegalArgumentException("ordinal must not be negative, got " + ordinal);
      }
    }

    @Override
    public int compareTo(CopyId other) {
      int c = dot.compareTo(other.dot);
      return c != 0 ? c : Integer.compare(ordinal, other.ordinal);
    }

    @Override
    public String toString() {
      return dot + "#" + ordinal;
    }
  }

  /**
   * The removal of a copy by a delete (or the delete half of an update).
   *
   * @param by the delete's transaction and its ordinal among that transaction's deletes of the
   *     value; never null
   * @param timestamp the delete's hybrid commit timestamp; never null
   */
  public record Removal(CopyId by, HybridTimestamp timestamp) {
    /** Validates the removal. */
    public Removal {
      Objects.requireNonNull(by, "by");
      Objects.requireNonNull(timestamp, "timestamp");
    }
  }

  /**
   * One copy of the value.
   *
   * @param id its name; never null
   * @param inserted the insert's hybrid commit timestamp; never null
   * @param removals the deletes that removed it, in order of their ids; never null, copied; empty
   *     while the copy is live
   */
  public record Copy(CopyId id, HybridTimestamp inserted, List<Removal> removals) {
    /** Validates the copy and copies the removals. */
    public Copy {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(inserted, "inserted");
      removals = List.copyOf(removals);
    }

    /**
     * Tells whether no delete has removed the copy.
     *
     * @return true if live
     */
    public boolean live() {
      return removals.isEmpty();
    }
  }

  /**
   * What a delete did.
   *
   * @param state the state after the delete; never null
   * @param removed the copy it removed, as it was before the delete; empty if it observed no live
   *     copy and removed nothing
   * @param concurrentRemoval a removal of the same copy by a delete it had not observed (two
   *     regions deleted the same row at the same time), if any
   */
  public record Deletion(
      RowMultiset state, Optional<Copy> removed, Optional<Removal> concurrentRemoval) {
    /** Validates the result. */
    public Deletion {
      Objects.requireNonNull(state, "state");
      Objects.requireNonNull(removed, "removed");
      Objects.requireNonNull(concurrentRemoval, "concurrentRemoval");
    }
  }

  /**
   * Returns the state with no copy.
   *
   * @return the empty state
   */
  public static RowMultiset empty() {
    return EMPTY;
  }

  /**
   * Returns the copies, live and removed, in id order.
   *
   * @return an unmodifiable list
   */
  public List<Copy> copies() {
    return copies;
  }

  /**
   * Returns the number of rows the table shows for the value: the live copies.
   *
   * @return the count; not negative
   */
  public int liveCount() {
    int n = 0;
    for (Copy c : copies) {
      if (c.live()) {
        n++;
      }
    }
    return n;
  }

  /**
   * Tells whether the state holds nothing.
   *
   * @return true if there is no copy, live or removed
   */
  public boolean isEmpty() {
    return copies.isEmpty();
  }

  /**
   * Tells whether a transaction's writes to this value are merged: it inserted a copy or removed
   * one. A transaction's changes of one value are merged together, so this is the duplicate test.
   *
   * @param dot the transaction; never null
   * @return true if merged
   */
  public boolean contains(Dot dot) {
    for (Copy c : copies) {
      if (c.id.dot.equals(dot)) {
        return true;
      }
      for (Removal r : c.removals) {
        if (r.by.dot.equals(dot)) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * Returns the state with a new copy.
   *
   * @param id the copy's name; never null; not in the state
   * @param timestamp the insert's hybrid commit timestamp; never null
   * @return the new state
   * @throws IllegalArgumentException if a copy of that name exists
   */
  public RowMultiset insert(CopyId id, HybridTimestamp timestamp) {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(timestamp, "timestamp");
    List<Copy> next = new ArrayList<>(copies.size() + 1);
    boolean added = false;
    for (Copy c : copies) {
      int cmp = c.id.compareTo(id);
      if (cmp == 0) {
        throw new IllegalArgumentException("copy " + id + " is already in the state");
      }
      if (cmp > 0 && !added) {
        next.add(new Copy(id, timestamp, List.of()));
        added = true;
      }
      next.add(c);
    }
    if (!added) {
      next.add(new Copy(id, timestamp, List.of()));
    }
    return new RowMultiset(List.copyOf(next));
  }

  /**
   * Removes the first copy the delete had observed live (see the class comment).
   *
   * @param by the delete's transaction and ordinal among its deletes of this value; never null
   * @param timestamp the delete's hybrid commit timestamp; never null
   * @param context the delete's causal context; never null
   * @return the new state and what was removed
   */
  public Deletion delete(CopyId by, HybridTimestamp timestamp, VersionVector context) {
    Objects.requireNonNull(by, "by");
    Objects.requireNonNull(timestamp, "timestamp");
    Objects.requireNonNull(context, "context");
    for (int i = 0; i < copies.size(); i++) {
      Copy c = copies.get(i);
      if (!observed(c.id, by, context) || removedBefore(c, by, context)) {
        continue;
      }
      List<Removal> removals = new ArrayList<>(c.removals);
      removals.add(new Removal(by, timestamp));
      removals.sort(Comparator.comparing(Removal::by));
      List<Copy> next = new ArrayList<>(copies);
      next.set(i, new Copy(c.id, c.inserted, removals));
      Optional<Removal> concurrent =
          c.removals.isEmpty() ? Optional.empty() : Optional.of(c.removals.get(0));
      return new Deletion(new RowMultiset(List.copyOf(next)), Optional.of(c), concurrent);
    }
    return new Deletion(this, Optional.empty(), Optional.empty());
  }

  /**
   * Whether the delete {@code by} had seen the event {@code id}: its past, or its own transaction.
   */
  private static boolean observed(CopyId id, CopyId by, VersionVector context) {
    return id.dot.equals(by.dot) || context.covers(id.dot);
  }

  private static boolean removedBefore(Copy c, CopyId by, VersionVector context) {
    for (Removal r : c.removals) {
      if (observed(r.by, by, context)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Drops the copies that no delete can choose any more: removed by a delete that every region has
   * applied (a causally stable one). Every later delete's context covers that removal, so it never
   * counts such a copy as live; concurrent deletes are not possible any more.
   *
   * @param stable the causally stable frontier; never null
   * @return the pruned state
   */
  public RowMultiset prune(VersionVector stable) {
    Objects.requireNonNull(stable, "stable");
    List<Copy> next = new ArrayList<>(copies.size());
    for (Copy c : copies) {
      boolean gone = false;
      for (Removal r : c.removals) {
        if (stable.covers(r.by.dot)) {
          gone = true;
          break;
        }
      }
      if (!gone) {
        next.add(c);
      }
    }
    return next.size() == copies.size() ? this : new RowMultiset(List.copyOf(next));
  }

  /**
   * Encodes the state: deterministic, so equal states give equal bytes.
   *
   * @return the bytes
   */
  public byte[] toBytes() {
    CompactWriter out = new CompactWriter(16 + copies.size() * 24);
    out.writeByte(FORMAT);
    out.writeUnsigned(copies.size());
    for (Copy c : copies) {
      writeId(out, c.id);
      c.inserted.writeTo(out);
      out.writeUnsigned(c.removals.size());
      for (Removal r : c.removals) {
        writeId(out, r.by);
        r.timestamp.writeTo(out);
      }
    }
    return out.toByteArray();
  }

  /**
   * Decodes a state written by {@link #toBytes()}.
   *
   * @param bytes the bytes; never null
   * @return the state
   * @throws MalformedEncodingException if the bytes are not a state of this format
   */
  public static RowMultiset fromBytes(byte[] bytes) {
    CompactReader in = new CompactReader(bytes);
    int format = in.readByte("row multiset format");
    if (format != FORMAT) {
      throw new MalformedEncodingException(
          "row multiset format " + format + " is not supported (expected " + FORMAT + ")", 0);
    }
    int n = in.readCount("row multiset copies", 4);
    List<Copy> copies = new ArrayList<>(n);
    CopyId previous = null;
    for (int i = 0; i < n; i++) {
      CopyId id = readId(in);
      if (previous != null && previous.compareTo(id) >= 0) {
        throw new MalformedEncodingException(
            "row multiset copies are not in order at " + id, in.position());
      }
      previous = id;
      HybridTimestamp inserted = HybridTimestamp.readFrom(in);
      int m = in.readCount("row multiset removals", 4);
      List<Removal> removals = new ArrayList<>(m);
      for (int j = 0; j < m; j++) {
        removals.add(new Removal(readId(in), HybridTimestamp.readFrom(in)));
      }
      copies.add(new Copy(id, inserted, removals));
    }
    in.expectEnd("row multiset");
    return new RowMultiset(List.copyOf(copies));
  }

  private static void writeId(CompactWriter out, CopyId id) {
    id.dot.writeTo(out);
    out.writeUnsigned(id.ordinal);
  }

  private static CopyId readId(CompactReader in) {
    Dot dot = Dot.readFrom(in);
    long ordinal = in.readUnsigned("copy ordinal", 0, Integer.MAX_VALUE);
    return new CopyId(dot, (int) ordinal);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RowMultiset other && copies.equals(other.copies);
  }

  @Override
  public int hashCode() {
    return copies.hashCode();
  }

  @Override
  public String toString() {
    return "RowMultiset" + copies;
  }
}
