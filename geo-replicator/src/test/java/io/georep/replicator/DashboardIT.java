package io.georep.replicator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.georep.testkit.Await;
import io.georep.testkit.EmbeddedKafka;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

/**
 * The dashboard in a real browser (headless Chromium, driven through chromedriver) against a real
 * agent of a three-region topology with conflicts: the page says which region serves it, its
 * conflict counts per type equal the agent's {@code georep_conflicts_total} meters, a conflict
 * logged while the page is open appears within a few refresh intervals, and the browser's console
 * shows no error. A screenshot is saved as {@code target/dashboard.png} (and, with {@code
 * -Dgeorep.dashboard.screenshot=PATH}, copied there) for review.
 *
 * <p>Skipped where Debian's packages {@code chromium} and {@code chromium-driver} are not installed
 * ({@code .ci/run} installs them).
 */
class DashboardIT {
  private static final String REGION = "us-east";
  private static final Pattern CONFLICT_METER =
      Pattern.compile("(?m)^georep_conflicts_total\\{([^}]*)} ([0-9.E]+)$");
  private static final Pattern TYPE_TAG = Pattern.compile("type=\"([^\"]+)\"");

  private EmbeddedKafka kafka;
  private Topology topology;
  private WebDriver browser;

  @BeforeEach
  void start() throws Exception {
    Optional<Path> chromium = executable("chromium", "chromium-browser", "google-chrome");
    Optional<Path> driver = executable("chromedriver");
    assumeTrue(
        chromium.isPresent() && driver.isPresent(),
        "skipped: the dashboard's browser test needs the Debian packages chromium and"
            + " chromium-driver (apt-get install chromium chromium-driver); found chromium="
            + chromium.map(Path::toString).orElse("none")
            + ", chromedriver="
            + driver.map(Path::toString).orElse("none"));
    kafka = EmbeddedKafka.start();
    topology = Topology.start(region -> kafka.bootstrapServers(), s -> s);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.get().toFile());
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1500,2400");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(driver.get().toFile())
            .usingAnyFreePort()
            .build();
    browser = new ChromeDriver(service, options);
  }

  @AfterEach
  void stop() throws Exception {
    if (browser != null) {
      browser.quit();
    }
    Topology.closeAll(topology, kafka);
  }

  @Test
  void dashboard_showsTheMetersAndNewConflicts_withoutConsoleErrors() throws Exception {
    ConflictsIT.createConflicts(topology);
    String base = "http://127.0.0.1:" + topology.agent(REGION).httpPort();

    browser.get(base + "/");
    Await.until(
        "the page says which region serves it",
        Duration.ofSeconds(30),
        () -> browser.findElement(By.id("served")).getText().equals("served by region " + REGION));
    assertThat(browser.getCurrentUrl()).isEqualTo(base + "/ui/");

    Map<String, Long> meters = conflictMeters(base);
    assertThat(meters).as("the topology made conflicts that us-east counted").isNotEmpty();
    Await.until(
        "the page's conflict counts per type equal the meters " + meters,
        Duration.ofSeconds(30),
        () -> pageCounts().equals(meters));
    long newest = maxLoggedId();
    Await.until(
        "the latest conflicts list the newest logged one, #" + newest,
        Duration.ofSeconds(30),
        () ->
            !browser
                .findElements(By.cssSelector("#latest tr[data-id='" + newest + "']"))
                .isEmpty());
    WebElement row = browser.findElement(By.cssSelector("#latest tr[data-id='" + newest + "']"));
    assertThat(row.findElements(By.cssSelector("td.version"))).hasSize(2);
    assertThat(browser.findElements(By.cssSelector("#regions tbody tr"))).hasSize(3);
    assertThat(browser.findElements(By.cssSelector(".uplot"))).hasSize(3);

    // A conflict logged while the page is open: the same item written in eu-west and sa-east while
    // their agents are stopped; us-east, whose agent serves the page, detects it.
    topology.stopAgent("eu-west");
    topology.stopAgent("sa-east");
    topology.db("eu-west").execute("UPDATE items SET name = 'eu-again' WHERE id = 5");
    Thread.sleep(20);
    topology.db("sa-east").execute("UPDATE items SET name = 'sa-again' WHERE id = 5");
    topology.startAgent("eu-west");
    topology.startAgent("sa-east");
    Await.until(
        "us-east logs the new conflict", Duration.ofMinutes(2), () -> maxLoggedId() > newest);
    long logged = maxLoggedId();
    long loggedAt = System.nanoTime();
    // The page polls every 2 s; a few intervals leave room for a slow machine.
    Await.until(
        "the new conflict #" + logged + " appears on the page",
        Duration.ofSeconds(10),
        () ->
            !browser
                .findElements(By.cssSelector("#latest tr[data-id='" + logged + "']"))
                .isEmpty());
    System.out.printf(
        "DashboardIT: conflict #%d shown %d ms after the test saw it logged (refresh every 2 s)%n",
        logged, (System.nanoTime() - loggedAt) / 1_000_000);
    topology.awaitQuiescence(Duration.ofMinutes(2));
    Map<String, Long> after = conflictMeters(base);
    assertThat(after).isNotEqualTo(meters);
    Await.until(
        "the page's counts follow the meters " + after,
        Duration.ofSeconds(10),
        () -> pageCounts().equals(after));

    Path shot =
        browser instanceof ChromeDriver c ? c.getScreenshotAs(OutputType.FILE).toPath() : null;
    assertThat(shot).isNotNull();
    Path target = Path.of("target", "dashboard.png");
    Files.copy(shot, target, StandardCopyOption.REPLACE_EXISTING);
    String docs = System.getProperty("georep.dashboard.screenshot");
    if (docs != null && !docs.isBlank()) {
      Files.copy(shot, Path.of(docs), StandardCopyOption.REPLACE_EXISTING);
    }
    assertThat(Files.size(target)).isPositive();

    List<LogEntry> console = browser.manage().logs().get(LogType.BROWSER).getAll();
    assertThat(console.stream().filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue()))
        .as("browser console warnings and errors")
        .isEmpty();
  }

  private Map<String, Long> pageCounts() {
    Map<String, Long> counts = new TreeMap<>();
    for (WebElement tr : browser.findElements(By.cssSelector("#conflict-types tbody tr"))) {
      long n = Long.parseLong(tr.findElement(By.cssSelector("td.count")).getText());
      if (n > 0) {
        counts.put(tr.getAttribute("data-type"), n);
      }
    }
    return counts;
  }

  private static Map<String, Long> conflictMeters(String base) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
    Map<String, Long> byType = new TreeMap<>();
    Matcher m = CONFLICT_METER.matcher(r.body());
    while (m.find()) {
      Matcher type = TYPE_TAG.matcher(m.group(1));
      assertThat(type.find()).as(m.group()).isTrue();
      byType.merge(type.group(1), (long) Double.parseDouble(m.group(2)), Long::sum);
    }
    return byType;
  }

  private long maxLoggedId() throws Exception {
    String row =
        topology
            .db(REGION)
            .rows("SELECT coalesce(max(id), 0) AS n FROM georep.conflict_log")
            .get(0);
    return Long.parseLong(row.substring(row.indexOf('=') + 1));
  }

  private static Optional<Path> executable(String... names) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String name : names) {
      Optional<Path> found =
          Stream.of(path.split(File.pathSeparator, -1))
              .map(dir -> Path.of(dir, name))
              .filter(Files::isExecutable)
              .findFirst();
      if (found.isPresent()) {
        return found;
      }
    }
    return Optional.empty();
  }
}
