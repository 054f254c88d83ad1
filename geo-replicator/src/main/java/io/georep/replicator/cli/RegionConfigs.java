package io.georep.replicator.cli;

import io.georep.connector.DatabaseUrl;
import io.georep.replicator.AgentKeys;
import io.georep.replicator.AgentSettings;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * What the commands over several regions ({@code verify}, {@code repair}, {@code resync}) share.
 */
final class RegionConfigs {
  private RegionConfigs() {}

  /**
   * Loads one configuration per region.
   *
   * @return the settings in the order given, or null if one could not be loaded (said on standard
   *     error)
   * @throws CommandLine.ParameterException if fewer than two are given or two are of one region
   */
  static List<AgentSettings> load(CommandSpec spec, List<Path> configs) {
    if (configs.size() < 2) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "give at least two regions' configurations (-c A.yaml -c B.yaml)");
    }
    List<AgentSettings> settings = new ArrayList<>();
    for (Path p : configs) {
      AgentSettings s = GeorepCommand.load(spec, p);
      if (s == null) {
        return null;
      }
      for (AgentSettings other : settings) {
        if (other.region().equals(s.region())) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "two configurations are of region " + s.region());
        }
      }
      settings.add(s);
    }
    return settings;
  }

  /**
   * Parses a duration option ({@code 30s}, {@code 2m}).
   *
   * @throws CommandLine.ParameterException naming the option if the text is not a duration
   */
  static java.time.Duration duration(CommandSpec spec, String option, String text) {
    try {
      return AgentKeys.parseDuration(text);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), option + " " + text + " is not a duration (for example 30s, 2m)");
    }
  }

  /**
   * Connects to a region's database.
   *
   * @param application the connection's application name
   * @return the connection, or null if it could not be made (said on {@code err})
   */
  static Connection connect(AgentSettings s, String application, PrintWriter err) {
    AgentSettings.Database db = s.database();
    try {
      return db.connect(application);
    } catch (SQLException e) {
      err.println(
          "cannot connect to region "
              + s.region()
              + "'s database "
              + DatabaseUrl.masked(db.jdbcUrl())
              + " as "
              + db.user()
              + ": "
              + e.getMessage());
      return null;
    }
  }
}
