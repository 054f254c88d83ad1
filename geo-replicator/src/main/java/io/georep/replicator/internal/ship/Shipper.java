package io.georep.replicator.internal.ship;

import io.georep.connector.RowChange;
import io.georep.connector.SourceTransaction;
import io.georep.connector.spi.ChangeSource;
import io.georep.connector.spi.FragmentHandler;
import io.georep.connector.spi.TransactionHandler;
import io.georep.replicator.AgentSettings;
import io.georep.replicator.codec.BatchCodec;
import io.georep.replicator.codec.WireBatch;
import io.georep.replicator.internal.TransactionSize;
import io.georep.replicator.internal.UnclassifiedFailure;
import io.georep.replicator.internal.metrics.AgentMetrics;
import io.georep.replicator.internal.metrics.AgentTracing;
import io.georep.replicator.internal.status.AgentState;
import io.georep.replicator.internal.transport.FragmentSpill;
import io.georep.replicator.internal.transport.RecordSigner;
import io.georep.replicator.internal.transport.StreamRecords;
import io.georep.vectorclock.GeorepException;
import io.georep.vectorclock.RetriableGeorepException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ships what the local capture produces to this region's changes stream: the capture's {@link
 * TransactionHandler}, batching, encoding and producing, and the acknowledgements back to the
 * capture.
 *
 * <h2>Design</h2>
 *
 * <p>Invariant: <b>the slot's confirmed position never passes a transaction Kafka has not
 * acknowledged, nor one the {@link LocalFolder} has not folded</b> (DESIGN.md §3), so a crash
 * anywhere loses nothing — the capture re-delivers every such transaction (the fold of one folded
 * before is skipped) and the stream may hold duplicates, which receivers drop by {@code seq} (each
 * transaction's causal context names its predecessor in the stream, so a receiver also recognises a
 * gap).
 *
 * <ul>
 *   <li>Threads: the capture thread calls {@link #onTransaction}; it takes the transaction's {@link
 *       InFlight} permits ({@code shipping.max.in.flight.transactions} and {@code
 *       shipping.max.in.flight.bytes}) and blocks when they run out — backpressure reaches the
 *       capture. One shipping thread drains the queue into batches (up to {@code
 *       shipping.batch.max.transactions}/{@code .changes}, a quarter of {@code
 *       shipping.max.in.flight.bytes} but at most {@code topics.max.message.bytes} of estimated
 *       heap size, or what {@code shipping.linger} after the first collects), encodes each with the
 *       wire codec (LZ4 inside the frame; the producer compresses nothing) and hands it to the
 *       producer and to the {@link LocalFolder}, so the capture thread never blocks inside Kafka.
 *   <li>Memory: a captured transaction keeps its permits until Kafka has acknowledged its record
 *       <i>and</i> the folder has folded it, so everything between the capture and those two ends —
 *       the queue, the batch being encoded, the producer's records, the folder's queue — stays
 *       within {@code shipping.max.in.flight.*} whichever of Kafka or the database is slow. The
 *       byte cap of a batch also bounds what a receiver decodes from one record.
 *   <li>Acknowledgements: the producer is idempotent with {@code acks=all} on a single partition,
 *       so callbacks come in send order, and the folder folds in the same order. Once both Kafka's
 *       callback and the folder are done with a batch, {@link ChangeSource#acknowledge} gets the
 *       batch's last seq and the permits return. The first failed callback poisons the session: no
 *       later batch is acknowledged (a later batch may have been written after an epoch bump,
 *       leaving a gap the receivers detect and skip), and the failure goes to the owner, which
 *       restarts capture and producer from the slot's confirmed position.
 * </ul>
 *
 * <p><b>Large transactions ship in fragments</b> ({@link WireBatch.Fragment}): a transaction the
 * capture hands on in fragments ({@link FragmentHandler}), or one whose estimated size exceeds a
 * batch's byte cap, goes out as consecutive records of its own, each at most a batch's byte cap of
 * estimated heap, numbered 0, 1, 2, … with the last one marked, so no transaction is limited by
 * {@code topics.max.message.bytes} or the codec's limits; receivers apply all of its fragments or
 * none. A fragment's permits return once Kafka has acknowledged it (its changes wait for the fold
 * in memory until the transaction's last fragment, which folds the whole transaction); the slot
 * passes the transaction only when its last fragment is acknowledged and the transaction folded. A
 * single row change whose frame exceeds {@code topics.max.message.bytes} fails the session with an
 * error naming that setting.
 */
public final class Shipper implements FragmentHandler, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Shipper.class);

  private final AgentSettings settings;
  private final RecordSigner signer;
  private final String topic;
  private final Producer<byte[], byte[]> producer;
  private final BatchCodec codec;
  private final AgentMetrics metrics;
  private final AgentState state;
  private final Consumer<GeorepException> onFailure;
  private final LocalFolder folder;
  private final InFlight inFlight;
  private final int batchKib;

  /** Captured transactions with their weights; bounded by the permits each one holds. */
  private final LinkedBlockingQueue<Captured> queue = new LinkedBlockingQueue<>();

  private final Thread thread;
  private volatile ChangeSource source;
  private volatile boolean failed;
  private volatile boolean closed;

  /**
   * Creates a shipper and starts its shipping thread.
   *
   * @param settings the agent's settings
   * @param producer the producer of the local changes topic
   * @param metrics the meters
   * @param state the agent state
   * @param onFailure receives the first failure of the session (capture or Kafka)
   * @param folder folds each captured transaction into the local row metadata
   */
  Shipper(
      AgentSettings settings,
      Producer<byte[], byte[]> producer,
      AgentMetrics metrics,
      AgentState state,
      Consumer<GeorepException> onFailure,
      LocalFolder folder) {
    this.settings = settings;
    this.signer = RecordSigner.of(settings.signing());
    this.topic = settings.topics().changes(settings.region());
    this.producer = producer;
    this.codec = BatchCodec.create();
    this.metrics = metrics;
    this.state = state;
    this.onFailure = onFailure;
    this.folder = folder;
    this.inFlight =
        new InFlight(
            settings.shipping().maxInFlightTransactions(), settings.shipping().maxInFlightBytes());
    this.batchKib = batchKib(settings);
    this.thread = new Thread(this::run, "georep-ship-" + settings.region());
    this.thread.setDaemon(true);
    state.shipQueue.set(0);
    this.thread.start();
  }

  /**
   * Sets the source to acknowledge; called once, before the source starts.
   *
   * @param source the source
   */
  public void attach(ChangeSource source) {
    this.source = Objects.requireNonNull(source, "source");
  }

  /**
   * Returns the most KiB of estimated heap one batch collects: a quarter of the in-flight bytes (so
   * several batches are in flight at once) and at most {@code topics.max.message.bytes}. A single
   * heavier transaction still makes a batch of its own.
   */
  static int batchKib(AgentSettings settings) {
    long bytes =
        Math.min(settings.topics().maxMessageBytes(), settings.shipping().maxInFlightBytes() / 4);
    return (int) Math.max(1, bytes >> 10);
  }

  @Override
  public void onTransaction(SourceTransaction transaction) {
    enqueue(transaction, null);
  }

  @Override
  public void onFragment(SourceTransaction fragment, int index, boolean last) {
    enqueue(fragment, new WireBatch.Fragment(index, last));
  }

  private void enqueue(SourceTransaction transaction, WireBatch.Fragment part) {
    int kib = inFlight.weight(transaction);
    try {
      if (!inFlight.acquire(kib, () -> closed || failed)) {
        throw new RetriableGeorepException("shipping stopped");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RetriableGeorepException("interrupted waiting to ship", e);
    }
    state.capturedSeq.set(transaction.seq());
    metrics.captured(part == null || part.last() ? 1 : 0, transaction.changes().size());
    state.shipQueue.incrementAndGet();
    queue.add(new Captured(transaction, kib, part));
  }

  /**
   * A captured transaction, or one fragment of it as the capture handed it on ({@code part}), and
   * the KiB permits it holds.
   */
  private record Captured(SourceTransaction transaction, int kib, WireBatch.Fragment part) {
    /** Whether it ships in fragments: the capture fragmented it, or it outweighs a batch. */
    boolean fragmented(int batchKib) {
      return part != null || kib > batchKib;
    }

    /** Whether it is a whole transaction or the capture's last fragment of one. */
    boolean endsTransaction() {
      return part == null || part.last();
    }
  }

  /** The next fragment index of the transaction being shipped in fragments. */
  private int wireIndex;

  /**
   * The frames of the transaction being shipped in fragments, on disk for its fold in parts; null
   * between such transactions.
   */
  private FragmentSpill foldParts;

  @Override
  public void onFailure(GeorepException failure) {
    fail(failure);
  }

  private void fail(GeorepException failure) {
    if (!failed && !closed) {
      failed = true;
      onFailure.accept(failure);
    }
  }

  private void run() {
    AgentSettings.Shipping shipping = settings.shipping();
    Captured carried = null;
    try {
      while (!closed && !failed) {
        Captured first = carried != null ? carried : queue.poll(100, TimeUnit.MILLISECONDS);
        carried = null;
        if (first == null) {
          continue;
        }
        if (first.fragmented(batchKib)) {
          state.shipQueue.decrementAndGet();
          shipFragmented(first);
          continue;
        }
        List<SourceTransaction> batch = new ArrayList<>();
        batch.add(first.transaction());
        int changes = first.transaction().changes().size();
        int kib = first.kib();
        long deadline = System.nanoTime() + shipping.linger().toNanos();
        while (batch.size() < shipping.maxBatchTransactions()
            && changes < shipping.maxBatchChanges()
            && kib < batchKib) {
          long wait = deadline - System.nanoTime();
          Captured next = wait <= 0 ? queue.poll() : queue.poll(wait, TimeUnit.NANOSECONDS);
          if (next == null) {
            break;
          }
          if (next.fragmented(batchKib) || kib + next.kib() > batchKib) {
            // Starts the next batch (or ships in fragments): this one stays within the byte cap.
            carried = next;
            break;
          }
          batch.add(next.transaction());
          changes += next.transaction().changes().size();
          kib += next.kib();
        }
        state.shipQueue.addAndGet(-batch.size());
        // Released when Kafka has acknowledged the batch and the folder has folded it; only then
        // may the slot pass it: a restart must re-deliver a transaction that was shipped but not
        // yet folded, or remote writes to its rows would wait for that fold forever.
        long last = batch.get(batch.size() - 1).seq();
        InFlight.Hold hold = inFlight.hold(batch.size(), kib, 2, () -> confirm(last));
        folder.submit(batch, hold::done);
        send(new WireBatch(batch), changes, hold, true);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (GeorepException e) {
      fail(e);
    } catch (RuntimeException | Error e) {
      fail(new UnclassifiedFailure("shipping to " + topic + " failed", e));
    }
  }

  /**
   * Ships a transaction that goes in fragments, or the capture's next fragment of one: in slices of
   * at most a batch's byte cap, each its own record. The fold gets the whole transaction with its
   * last fragment; the slot passes it only once that fragment is acknowledged and the transaction
   * folded.
   */
  private void shipFragmented(Captured c) {
    SourceTransaction tx = c.transaction();
    if (c.part() == null || c.part().index() == 0) {
      wireIndex = 0;
      if (foldParts != null) {
        foldParts.close();
      }
      foldParts = FragmentSpill.create(frame -> codec.decode(frame).transactions().get(0));
    } else if (foldParts == null) {
      throw new IllegalStateException(
          "fragment " + c.part().index() + " of " + tx.dot() + " arrived without its start");
    }
    List<Slice> slices = slices(tx.changes(), (long) batchKib << 10);
    int kibLeft = c.kib();
    for (int i = 0; i < slices.size(); i++) {
      List<RowChange> slice = slices.get(i).changes();
      boolean finalSlice = i == slices.size() - 1;
      boolean lastWire = finalSlice && c.endsTransaction();
      // The captured item's permits return with its slices: its KiB spread over them, its
      // transaction permit with the final one.
      int sliceKib = finalSlice ? kibLeft : Math.min(kibLeft, slices.get(i).kib());
      kibLeft -= sliceKib;
      long seq = tx.seq();
      InFlight.Hold hold =
          inFlight.hold(finalSlice ? 1 : 0, sliceKib, 2, lastWire ? () -> confirm(seq) : () -> {});
      SourceTransaction part = tx.withChanges(slice);
      byte[] frame =
          send(WireBatch.fragment(part, wireIndex++, lastWire), slice.size(), hold, lastWire);
      // The folder's part: the frame, on disk, read back when the fold runs.
      foldParts.append(frame, slice.size());
      if (lastWire) {
        FragmentSpill parts = foldParts.seal();
        foldParts = null;
        folder.submitInParts(tx.withChanges(List.of()), parts, hold::done);
      } else {
        hold.done();
      }
    }
  }

  /**
   * Consecutive changes of a transaction that ship as one fragment, with their estimated size.
   *
   * @param changes the changes
   * @param bytes their estimated heap size ({@link TransactionSize#estimate(RowChange)})
   */
  record Slice(List<RowChange> changes, long bytes) {
    int kib() {
      return (int) Math.min(Integer.MAX_VALUE, Math.max(1, bytes >> 10));
    }
  }

  /**
   * Splits changes into consecutive slices of at most {@code maxBytes} estimated (one at least).
   */
  static List<Slice> slices(List<RowChange> changes, long maxBytes) {
    List<Slice> out = new ArrayList<>();
    int from = 0;
    long bytes = 0;
    for (int i = 0; i < changes.size(); i++) {
      long size = TransactionSize.estimate(changes.get(i));
      if (i > from && bytes + size > maxBytes) {
        out.add(new Slice(changes.subList(from, i), bytes));
        from = i;
        bytes = 0;
      }
      bytes += size;
    }
    out.add(new Slice(changes.subList(from, changes.size()), bytes));
    return out;
  }

  /**
   * Encodes and produces one record.
   *
   * @param endsTransactions whether the record completes its transactions (a batch of whole
   *     transactions, or a transaction's last fragment): only then do they count as shipped
   */
  private byte[] send(WireBatch wire, int changes, InFlight.Hold hold, boolean endsTransactions) {
    List<SourceTransaction> batch = wire.transactions();
    byte[] frame = codec.encode(wire);
    if (frame.length > settings.topics().maxMessageBytes()) {
      throw new GeorepException(
          (wire.isFragment()
                  ? "fragment "
                      + wire.fragment().index()
                      + " of transaction "
                      + batch.get(0).dot()
                      + " ("
                      + changes
                      + " row changes, fewer cannot ship: one row alone is this large)"
                  : "a batch of " + batch.size() + " transactions from " + wire.firstSeq())
              + " encodes to "
              + frame.length
              + " bytes, more than topics.max.message.bytes ("
              + settings.topics().maxMessageBytes()
              + "); raise it (and the topic's max.message.bytes)"
              + (wire.isFragment() ? "" : " or lower shipping.batch.max.changes"));
    }
    long uncompressed = StreamRecords.uncompressedLength(frame);
    long last = wire.lastSeq();
    long wall = batch.get(batch.size() - 1).commitTimestamp().wallTimeMillis();
    long[] commits = new long[endsTransactions ? batch.size() : 0];
    for (int i = 0; i < commits.length; i++) {
      commits[i] = batch.get(i).commitTimestamp().wallTimeMillis();
    }
    AgentTracing.Shipment traced =
        endsTransactions
            ? metrics.tracing().ship(batch, topic)
            : metrics.tracing().ship(List.of(), topic);
    List<Header> headers = new ArrayList<>(StreamRecords.headers(wire));
    if (traced.header() != null) {
      headers.add(
          new RecordHeader(AgentTracing.HEADER, traced.header().getBytes(StandardCharsets.UTF_8)));
    }
    headers.addAll(signer.sign(frame));
    ProducerRecord<byte[], byte[]> record =
        new ProducerRecord<>(topic, 0, (byte[]) null, frame, headers);
    int n = endsTransactions ? batch.size() : 0;
    java.util.concurrent.Future<?> unused =
        producer.send(
            record,
            (metadata, error) -> {
              traced.done(error);
              if (error != null) {
                fail(
                    new RetriableGeorepException(
                        "Kafka did not acknowledge the batch up to seq "
                            + last
                            + " on "
                            + topic
                            + ": "
                            + error
                            + "; capture restarts from the last acknowledged position",
                        error));
                return;
              }
              if (failed || closed) {
                return;
              }
              if (endsTransactions) {
                // A fragment that does not complete its transaction is not "shipped": the
                // heartbeat's acknowledged seq must never name a transaction a receiver cannot
                // have whole.
                state.shippedSeq.accumulateAndGet(last, Math::max);
                state.shippedWallMillis.set(wall);
                state.transactionsShipped.addAndGet(n);
              }
              metrics.shipped(n, changes, frame.length, uncompressed);
              long acknowledged = System.currentTimeMillis();
              for (long commit : commits) {
                metrics.shipLatency(acknowledged - commit);
              }
              if (wire.isFragment()) {
                metrics.fragmentShipped();
              }
              hold.done();
              if (LOG.isDebugEnabled()) {
                LOG.debug(
                    "shipped {} up to {} at offset {}",
                    wire.isFragment() ? "fragment " + wire.fragment().index() : n + " transactions",
                    last,
                    metadata.offset());
              }
            });
    return frame;
  }

  /**
   * Lets the slot pass a batch that Kafka has acknowledged and the folder has folded, unless this
   * session failed (a later batch may then sit in Kafka without an earlier one).
   */
  private void confirm(long last) {
    ChangeSource s = source;
    if (s != null && !failed && !closed) {
      s.acknowledge(last);
    }
  }

  /** Stops the shipping thread; unshipped transactions are re-delivered by the next capture. */
  @Override
  public void close() {
    closed = true;
    thread.interrupt();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    FragmentSpill open = foldParts;
    if (open != null) {
      open.close();
    }
  }
}
