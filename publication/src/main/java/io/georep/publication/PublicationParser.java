package io.georep.publication;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Parses publication files (YAML, see {@code docs/publications.md}) into {@link Publication}s.
 *
 * <p>Every problem in every file is collected and reported at once in one {@link
 * PublicationException}, each with file, line, column and a fix; if there is any problem, no
 * publication is returned. Files larger than {@link #maxFileBytes()} are refused before they are
 * read into memory. Instances are immutable and thread-safe; configure them with the {@code with}
 * methods.
 */
public final class PublicationParser {

  /** The default size limit of one publication file: 1 MiB. */
  public static final long DEFAULT_MAX_FILE_BYTES = 1L << 20;

  private final Optional<Set<String>> knownRegions;
  private final long maxFileBytes;

  private PublicationParser(Optional<Set<String>> knownRegions, long maxFileBytes) {
    this.knownRegions = knownRegions;
    this.maxFileBytes = maxFileBytes;
  }

  /** Returns a parser that accepts any region name and files up to 1 MiB. */
  public static PublicationParser create() {
    return new PublicationParser(Optional.empty(), DEFAULT_MAX_FILE_BYTES);
  }

  /**
   * Returns a parser that also checks region names against {@code regions}.
   *
   * @throws NullPointerException if {@code regions} is null
   */
  public PublicationParser withKnownRegions(Set<String> regions) {
    return new PublicationParser(Optional.of(Set.copyOf(regions)), maxFileBytes);
  }

  /**
   * Returns a parser with another file size limit.
   *
   * @throws IllegalArgumentException if {@code bytes} is not positive
   */
  public PublicationParser withMaxFileBytes(long bytes) {
    if (bytes <= 0) {
      throw new IllegalArgumentException("the file size limit must be positive, got " + bytes);
    }
    return new PublicationParser(knownRegions, bytes);
  }

  /** Returns the size limit of one file in bytes. */
  public long maxFileBytes() {
    return maxFileBytes;
  }

  /**
   * Parses one file's content.
   *
   * @param fileName the name used in positions, e.g. {@code orders.yaml}
   * @param content the raw bytes (UTF-8)
   * @throws PublicationException listing every problem
   * @throws NullPointerException if an argument is null
   */
  public Publication parse(String fileName, byte[] content) {
    return parseAll(Map.of(fileName, content)).get(0);
  }

  /**
   * Parses several files' contents together, also checking that publication names are unique.
   *
   * @param contents file name to raw bytes, in the order to report them
   * @return the publications in the map's iteration order
   * @throws PublicationException listing every problem in every file
   */
  public List<Publication> parseAll(Map<String, byte[]> contents) {
    Objects.requireNonNull(contents, "contents");
    List<Problem> problems = new ArrayList<>();
    List<Publication> publications = new ArrayList<>();
    for (Map.Entry<String, byte[]> entry : contents.entrySet()) {
      Objects.requireNonNull(entry.getValue(), "content of " + entry.getKey());
      new PublicationReader(entry.getKey(), knownRegions, problems)
          .read(entry.getValue(), maxFileBytes)
          .ifPresent(publications::add);
    }
    checkUniqueNames(publications, problems);
    if (!problems.isEmpty()) {
      throw new PublicationException(problems);
    }
    return List.copyOf(publications);
  }

  /**
   * Reads and parses files; a file that cannot be read or is too large is a problem like any other.
   * File names in positions are the paths as given.
   *
   * @throws PublicationException listing every problem in every file
   */
  public List<Publication> parseFiles(List<Path> files) {
    Map<String, byte[]> contents = new LinkedHashMap<>();
    List<Problem> problems = new ArrayList<>();
    for (Path path : files) {
      String name = path.toString();
      try {
        long size = Files.size(path);
        if (size > maxFileBytes) {
          problems.add(
              new Problem(
                  SourcePosition.startOf(name),
                  "file is "
                      + size
                      + " bytes, more than the "
                      + maxFileBytes
                      + "-byte limit for a publication file",
                  "split it into several publication files; a publication this large is"
                      + " probably generated and should list fewer, broader rules"));
          continue;
        }
        contents.put(name, Files.readAllBytes(path));
      } catch (IOException e) {
        problems.add(
            new Problem(
                SourcePosition.startOf(name),
                "cannot read file: " + e,
                "check that the path exists and is readable"));
      }
    }
    try {
      List<Publication> publications = parseAll(contents);
      if (problems.isEmpty()) {
        return publications;
      }
    } catch (PublicationException e) {
      problems.addAll(e.problems());
    }
    throw new PublicationException(problems);
  }

  private static void checkUniqueNames(List<Publication> publications, List<Problem> problems) {
    Map<String, Publication> seen = new HashMap<>();
    for (Publication publication : publications) {
      Publication first = seen.putIfAbsent(publication.name(), publication);
      if (first != null) {
        problems.add(
            new Problem(
                publication.position(),
                "publication '"
                    + publication.name()
                    + "' is already defined at "
                    + first.position(),
                "give each publication file its own name"));
      }
    }
  }
}
