// AWS event-ruler's verdicts (the library behind EventBridge event patterns), in the
// format of Wharf's pattern_tool (src/pattern/tools) so the two compare line by line.
//   java EventRulerCheck match
//       stdin: {"pattern": "<pattern JSON text>", "event": "<event JSON text>"} per line
//       stdout: MATCH | NO_MATCH | INVALID <message>
//   java EventRulerCheck rules <rules file> <events file>
//       one Machine with every rule; prints, per event, the sorted names of the rules it
//       matches, space-separated (the shared machine, where rules can affect each other)
//   java EventRulerCheck bench <rules file> <events file> <seconds>
//       rules file: one pattern JSON text per line (rule i is named "r<i>"); events file:
//       one event per line. Compiles every rule into one Machine, then matches the events
//       round-robin for the given time; prints one JSON line with the throughput.
// Patterns and events travel as strings so both tools see the same bytes (a JSON
// library would rewrite numbers such as 1e400 or 0.30000000000000001).
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import software.amazon.event.ruler.JsonRuleCompiler;
import software.amazon.event.ruler.Machine;

public class EventRulerCheck {
  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "match";
    if (mode.equals("bench")) {
      bench(args[1], args[2], Double.parseDouble(args[3]));
      return;
    }
    if (mode.equals("rules")) {
      rules(args[1], args[2]);
      return;
    }
    ObjectMapper mapper = new ObjectMapper();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintWriter out = new PrintWriter(System.out, false, StandardCharsets.UTF_8);
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) continue;
      out.println(verdict(mapper, line).replace('\n', ' '));
    }
    out.flush();
  }

  static String verdict(ObjectMapper mapper, String line) {
    String pattern;
    String event;
    try {
      JsonNode pair = mapper.readTree(line);
      pattern = pair.get("pattern").asText();
      event = pair.get("event").asText();
    } catch (Exception e) {
      return "ERROR bad input line: " + e.getMessage();
    }
    // The grammar EventBridge documents is JsonRuleCompiler's. Machine.addRule would fall
    // back to the legacy RuleCompiler (which reads "$or" as a field name) when it fails.
    String problem = JsonRuleCompiler.check(pattern);
    if (problem != null) return "INVALID " + problem;
    try {
      Machine machine = new Machine();
      machine.addRule("rule", pattern);
      return machine.rulesForJSONEvent(event).isEmpty() ? "NO_MATCH" : "MATCH";
    } catch (Throwable e) {
      return "ERROR " + e;
    }
  }

  static Machine machineOf(List<String> rules) throws Exception {
    Machine machine = new Machine();
    int index = 0;
    for (String rule : rules) {
      if (!rule.isEmpty()) machine.addRule("r" + index++, rule);
    }
    return machine;
  }

  static void rules(String rulesFile, String eventsFile) throws Exception {
    Machine machine = machineOf(Files.readAllLines(Paths.get(rulesFile), StandardCharsets.UTF_8));
    PrintWriter out = new PrintWriter(System.out, false, StandardCharsets.UTF_8);
    for (String event : Files.readAllLines(Paths.get(eventsFile), StandardCharsets.UTF_8)) {
      if (event.isEmpty()) continue;
      List<String> names = new ArrayList<>(machine.rulesForJSONEvent(event));
      java.util.Collections.sort(names);
      out.println(String.join(" ", names));
    }
    out.flush();
  }

  static void bench(String rulesFile, String eventsFile, double seconds) throws Exception {
    List<String> rules = Files.readAllLines(Paths.get(rulesFile), StandardCharsets.UTF_8);
    List<String> events = new ArrayList<>();
    for (String e : Files.readAllLines(Paths.get(eventsFile), StandardCharsets.UTF_8)) {
      if (!e.isEmpty()) events.add(e);
    }
    Machine machine = new Machine();
    long compileStart = System.nanoTime();
    int index = 0;
    for (String rule : rules) {
      if (!rule.isEmpty()) machine.addRule("r" + index++, rule);
    }
    double compileSeconds = (System.nanoTime() - compileStart) / 1e9;
    // Warm-up so the JIT has compiled the hot path before the timed part.
    long deadline = System.nanoTime() + (long) (Math.min(2.0, seconds / 2) * 1e9);
    long sink = 0;
    for (int i = 0; System.nanoTime() < deadline; i++) {
      sink += machine.rulesForJSONEvent(events.get(i % events.size())).size();
    }
    long matched = 0;
    long count = 0;
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    long now = start;
    while (now < end) {
      for (int i = 0; i < 256; i++) {
        matched += machine.rulesForJSONEvent(events.get((int) (count % events.size()))).size();
        count++;
      }
      now = System.nanoTime();
    }
    double elapsed = (now - start) / 1e9;
    System.out.printf(
        "{\"rules\": %d, \"events\": %d, \"seconds\": %.3f, \"events_per_s\": %.1f, "
            + "\"matches\": %d, \"compile_s\": %.3f, \"sink\": %d}%n",
        index, count, elapsed, count / elapsed, matched, compileSeconds, sink > 0 ? 1 : 0);
  }
}
