package io.georep.cli.demo;

import io.georep.testkit.LoopbackProxy;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The fault schedule of one run: each {@code cut} fault as two events on the load's time line — the
 * cut of the region's proxy to Kafka and the heal — applied, with a line each, once they are due.
 * At the same instant a heal comes before a cut, so that back-to-back faults of one region leave it
 * cut.
 *
 * <p>Not thread-safe: driven by the thread that runs the load.
 */
final class FaultSchedule {
  /** A fault's cut or heal, {@code at} nanoseconds into the load. */
  private record Event(long at, Fault fault, boolean cut) {}

  private final List<Event> events = new ArrayList<>();
  private final Function<String, LoopbackProxy> proxies;
  private final Consumer<String> print;
  private int next;

  /**
   * Creates the schedule of some faults.
   *
   * @param faults the faults, in any order
   * @param proxies each region's proxy to Kafka
   * @param print where the line of each cut and heal goes
   */
  FaultSchedule(
      List<Fault> faults, Function<String, LoopbackProxy> proxies, Consumer<String> print) {
    for (Fault f : faults) {
      events.add(new Event(f.start().toNanos(), f, true));
      events.add(new Event(f.end().toNanos(), f, false));
    }
    events.sort(Comparator.comparingLong(Event::at).thenComparing(Event::cut));
    this.proxies = proxies;
    this.print = print;
  }

  /**
   * Cuts and heals what is due.
   *
   * @param now nanoseconds since the load started
   */
  void applyDue(long now) {
    while (next < events.size() && events.get(next).at() <= now) {
      Event e = events.get(next++);
      Fault f = e.fault();
      if (e.cut()) {
        proxies.apply(f.region()).cut();
        print.accept(
            "!! "
                + f.region()
                + " cut off from Kafka for "
                + Durations.format(f.length())
                + " ("
                + f
                + "); its writes go on locally");
      } else {
        proxies.apply(f.region()).heal();
        print.accept("!! " + f.region() + " reconnected to Kafka; watch it catch up");
      }
    }
  }

  /**
   * Returns when the next event is due.
   *
   * @return nanoseconds since the load started, {@link Long#MAX_VALUE} if none is left
   */
  long nextAt() {
    return next < events.size() ? events.get(next).at() : Long.MAX_VALUE;
  }
}
