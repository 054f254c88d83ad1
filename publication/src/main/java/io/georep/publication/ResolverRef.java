package io.georep.publication;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A conflict resolver named in a publication file: a built-in or {@code custom:<name>}, with the
 * region order for {@code region-priority}. Custom names are resolved when the agent loads its
 * resolvers. Immutable and thread-safe.
 *
 * @param name the name as written, e.g. {@code lww} or {@code custom:loyalty}, never null
 * @param regionOrder for {@code region-priority}, regions from highest priority; else empty
 * @param position where the file names the resolver, never null
 */
public record ResolverRef(String name, List<String> regionOrder, SourcePosition position) {

  /**
   * Creates a resolver reference.
   *
   * @throws NullPointerException if an argument is null
   */
  public ResolverRef {
    Objects.requireNonNull(name, "name");
    regionOrder = List.copyOf(regionOrder);
    Objects.requireNonNull(position, "position");
  }

  /** Returns the built-in resolver named, or empty for a custom one. */
  public Optional<BuiltInResolver> builtIn() {
    return BuiltInResolver.byFileName(name);
  }

  /** Returns the name after {@code custom:}, or empty for a built-in. */
  public Optional<String> customName() {
    return name.startsWith(BuiltInResolver.CUSTOM_PREFIX)
        ? Optional.of(name.substring(BuiltInResolver.CUSTOM_PREFIX.length()))
        : Optional.empty();
  }
}
