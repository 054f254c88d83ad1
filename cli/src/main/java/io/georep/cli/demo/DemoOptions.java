package io.georep.cli.demo;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What a demo run does: how many regions, how long and how hard the write load runs, which faults
 * it injects, and what it keeps. Immutable; the constructor reports every invalid option at once.
 *
 * @param regions how many regions, 2 to {@value #MAX_REGIONS}; they are named from {@link
 *     #REGION_NAMES} in order
 * @param duration how long the write load runs; 1 s to 24 h
 * @param rate writes (transactions) per second in each region; 1 to {@value #MAX_RATE}
 * @param latency one-way network latency added between each region's agent and Kafka, as if the
 *     regions were far apart; 0 to 1 s
 * @param faults scheduled faults; each names one of the regions and ends before the load does
 * @param seed the seed of the write load's random choices
 * @param keep whether to keep the data directory (databases, broker) after the run
 * @param statusInterval how often the live status prints; 200 ms to 1 min
 * @param quiescenceTimeout how long to wait, after the load, for every region to apply everything
 */
public record DemoOptions(
    int regions,
    Duration duration,
    int rate,
    Duration latency,
    List<Fault> faults,
    long seed,
    boolean keep,
    Duration statusInterval,
    Duration quiescenceTimeout) {

  /** Region names, in the order regions are added. */
  public static final List<String> REGION_NAMES =
      List.of("eu-west", "us-east", "ap-south", "sa-east", "af-south");

  /** The most regions a demo runs. */
  public static final int MAX_REGIONS = 5;

  /** The highest write rate per region. */
  public static final int MAX_RATE = 2_000;

  /**
   * Validates the options.
   *
   * @throws IllegalArgumentException listing every invalid option with its flag and what to do
   */
  public DemoOptions {
    faults = List.copyOf(faults);
    Objects.requireNonNull(duration, "duration");
    Objects.requireNonNull(latency, "latency");
    Objects.requireNonNull(statusInterval, "statusInterval");
    Objects.requireNonNull(quiescenceTimeout, "quiescenceTimeout");
    List<String> problems = new ArrayList<>();
    if (regions < 2 || regions > MAX_REGIONS) {
      problems.add("--regions " + regions + " is out of range; give 2 to " + MAX_REGIONS);
    }
    if (duration.compareTo(Duration.ofSeconds(1)) < 0
        || duration.compareTo(Duration.ofHours(24)) > 0) {
      problems.add("--duration " + Durations.format(duration) + " is out of range; give 1s to 24h");
    }
    if (rate < 1 || rate > MAX_RATE) {
      problems.add(
          "--rate " + rate + " is out of range; give 1 to " + MAX_RATE + " writes/s per region");
    }
    if (latency.isNegative() || latency.compareTo(Duration.ofSeconds(1)) > 0) {
      problems.add("--latency " + Durations.format(latency) + " is out of range; give 0ms to 1s");
    }
    if (statusInterval.compareTo(Duration.ofMillis(200)) < 0
        || statusInterval.compareTo(Duration.ofMinutes(1)) > 0) {
      problems.add(
          "--status-interval "
              + Durations.format(statusInterval)
              + " is out of range; give 200ms to 1m");
    }
    if (quiescenceTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
      problems.add(
          "--quiescence-timeout "
              + Durations.format(quiescenceTimeout)
              + " is too short; give at least 1s");
    }
    List<String> names =
        regions >= 2 && regions <= MAX_REGIONS ? REGION_NAMES.subList(0, regions) : REGION_NAMES;
    Set<String> cutRegions = new HashSet<>();
    for (Fault f : faults) {
      if (!names.contains(f.region())) {
        problems.add(
            "--fault "
                + f
                + " names region "
                + f.region()
                + ", which does not run; the regions are "
                + String.join(", ", names)
                + (REGION_NAMES.contains(f.region())
                    ? " (add regions with --regions " + (REGION_NAMES.indexOf(f.region()) + 1) + ")"
                    : ""));
      }
      if (f.end().compareTo(duration) > 0) {
        problems.add(
            "--fault "
                + f
                + " heals at "
                + Durations.format(f.end())
                + ", after the load stops at "
                + Durations.format(duration)
                + "; start it earlier, shorten it or raise --duration");
      }
      cutRegions.add(f.region());
    }
    for (String region : cutRegions) {
      List<Fault> ofRegion = faults.stream().filter(f -> f.region().equals(region)).toList();
      for (int i = 0; i < ofRegion.size(); i++) {
        for (int j = i + 1; j < ofRegion.size(); j++) {
          Fault a = ofRegion.get(i);
          Fault b = ofRegion.get(j);
          if (a.start().compareTo(b.end()) < 0 && b.start().compareTo(a.end()) < 0) {
            problems.add("--fault " + a + " and " + b + " overlap; a region is cut once at a time");
          }
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("\n", problems));
    }
  }

  /**
   * Returns the names of the regions that run.
   *
   * @return the first {@link #regions()} of {@link #REGION_NAMES}
   */
  public List<String> regionNames() {
    return REGION_NAMES.subList(0, regions);
  }
}
