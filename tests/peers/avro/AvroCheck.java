// Apache Avro's own verdicts, one line per stdin line, in the format of Wharf's
// avro_compat_tool (src/schema/tools) so the two can be compared line by line:
//   java AvroCheck compat     {"reader": <schema>, "writer": <schema>} per line
//   java AvroCheck canonical  <schema> per line
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.TreeSet;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;

public class AvroCheck {
  public static void main(String[] args) throws Exception {
    String mode = args.length > 0 ? args[0] : "compat";
    ObjectMapper mapper = new ObjectMapper();
    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    PrintWriter out = new PrintWriter(System.out, false, StandardCharsets.UTF_8);
    String line;
    while ((line = in.readLine()) != null) {
      if (line.isEmpty()) continue;
      out.println(mode.equals("compat") ? compat(mapper, line) : canonical(line));
    }
    out.flush();
  }

  static String compat(ObjectMapper mapper, String line) {
    Schema reader;
    Schema writer;
    try {
      JsonNode pair = mapper.readTree(line);
      try {
        reader = new Schema.Parser().parse(pair.get("reader").toString());
      } catch (Exception e) {
        return "ERROR reader: " + e.getMessage();
      }
      try {
        writer = new Schema.Parser().parse(pair.get("writer").toString());
      } catch (Exception e) {
        return "ERROR writer: " + e.getMessage();
      }
    } catch (Exception e) {
      return "ERROR " + e.getMessage();
    }
    SchemaCompatibility.SchemaPairCompatibility result =
        SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    if (result.getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      return "COMPATIBLE";
    }
    TreeSet<String> types = new TreeSet<>();
    for (SchemaCompatibility.Incompatibility i : result.getResult().getIncompatibilities()) {
      types.add(i.getType().name());
    }
    return "INCOMPATIBLE " + String.join(",", types);
  }

  static String canonical(String line) {
    try {
      Schema schema = new Schema.Parser().parse(line);
      return SchemaNormalization.parsingFingerprint64(schema) + " "
          + SchemaNormalization.toParsingForm(schema);
    } catch (Exception e) {
      return "ERROR " + e.getMessage();
    }
  }
}
