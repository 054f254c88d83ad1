package io.georep.publication;

import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * A secret value in a publication file, such as a mask salt: written inline, or read from an
 * environment variable with {@code ${env:NAME}}. {@code toString()} never shows the value.
 */
public sealed interface Secret {

  /** The form of a valid environment variable name. */
  Pattern VARIABLE = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

  /**
   * Returns the secret's value.
   *
   * @param environment looks up an environment variable; returns null if unset (so {@code
   *     System::getenv} fits)
   * @throws IllegalStateException if the variable is unset or empty
   */
  String reveal(Function<String, String> environment);

  /**
   * A secret written in the file itself.
   *
   * @param value the secret, never null
   */
  record Inline(String value) implements Secret {
    /** Checks the value. */
    public Inline {
      Objects.requireNonNull(value, "value");
    }

    @Override
    public String reveal(Function<String, String> environment) {
      return value;
    }

    /** Returns a placeholder; never the value. */
    @Override
    public String toString() {
      return "Inline[value=<hidden>]";
    }
  }

  /**
   * A secret read from an environment variable when masks are applied.
   *
   * @param variable the variable's name
   */
  record EnvironmentVariable(String variable) implements Secret {
    /**
     * Checks the name.
     *
     * @throws IllegalArgumentException if it is not a valid variable name
     */
    public EnvironmentVariable {
      if (!VARIABLE.matcher(variable).matches()) {
        throw new IllegalArgumentException("not an environment variable name: " + variable);
      }
    }

    @Override
    public String reveal(Function<String, String> environment) {
      String value = environment.apply(variable);
      if (value == null || value.isEmpty()) {
        throw new IllegalStateException(
            "environment variable "
                + variable
                + " is not set; the publication's hash mask needs it as its salt — set it in the"
                + " agent's environment");
      }
      return value;
    }

    /** Returns {@code ${env:NAME}}. */
    @Override
    public String toString() {
      return "${env:" + variable + "}";
    }
  }
}
