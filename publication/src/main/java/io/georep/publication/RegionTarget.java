package io.georep.publication;

import java.util.List;

/** The regions a publication flows to: all of them, or a list (a one-way flow). */
public sealed interface RegionTarget {

  /** Returns whether changes flow to {@code region}. */
  boolean includes(String region);

  /** Every region (the default). */
  record All() implements RegionTarget {
    @Override
    public boolean includes(String region) {
      return true;
    }
  }

  /**
   * Only the listed regions.
   *
   * @param regions region names, never empty; copied
   */
  record Only(List<String> regions) implements RegionTarget {
    /**
     * Copies the list.
     *
     * @throws IllegalArgumentException if {@code regions} is empty
     */
    public Only {
      regions = List.copyOf(regions);
      if (regions.isEmpty()) {
        throw new IllegalArgumentException("a region list must name at least one region");
      }
    }

    @Override
    public boolean includes(String region) {
      return regions.contains(region);
    }
  }
}
