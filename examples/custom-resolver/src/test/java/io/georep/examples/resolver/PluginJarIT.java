package io.georep.examples.resolver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.georep.resolver.ResolverConfigurationException;
import io.georep.resolver.ResolverRegistry;
import io.georep.resolver.spi.ConflictResolver;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The acceptance test of issue 5: the plugin, packaged in its own jar, is found through {@link
 * java.util.ServiceLoader} by name. Failsafe runs this without the module's classes on the class
 * path, so the only copy of the plugin is the built jar.
 */
class PluginJarIT {
  @Test
  void load_builtJar_findsPluginByName() throws Exception {
    Path jar = Path.of(System.getProperty("georep.example.jar"));
    assertThat(Files.isRegularFile(jar)).as("built plugin jar %s", jar).isTrue();
    assertThat(ResolverRegistry.load(getClass().getClassLoader()).customNames())
        .as("without the jar the plugin is unknown")
        .doesNotContain("longest-text-wins");
    assertThatThrownBy(
            () -> ResolverRegistry.load(getClass().getClassLoader()).custom("longest-text-wins"))
        .isInstanceOf(ResolverConfigurationException.class)
        .hasMessageContaining("no resolver plugin named 'longest-text-wins'");

    try (URLClassLoader loader =
        new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader())) {
      ConflictResolver plugin = ResolverRegistry.load(loader).custom("longest-text-wins");
      assertThat(plugin.name()).isEqualTo("longest-text-wins");
      assertThat(plugin.getClass().getClassLoader()).isSameAs(loader);
    }
  }
}
