// A Lambda handler with the signature AWS's MSK examples use, RequestHandler<KafkaEvent,
// Void>: it writes every record it gets, base64-decoded, as one line
// "topic/partition/offset key=value" to the file RECORD_FILE names, so the event source
// mapping tests can check what reached it and in which order.
package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.KafkaEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Base64;
import java.util.List;
import java.util.Map;

public class RecordingHandler implements RequestHandler<KafkaEvent, Void> {
  private static String decode(String base64) {
    return base64 == null
        ? "<null>"
        : new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }

  @Override
  public Void handleRequest(KafkaEvent event, Context context) {
    StringBuilder lines = new StringBuilder();
    for (Map.Entry<String, List<KafkaEvent.KafkaEventRecord>> partition :
        event.getRecords().entrySet()) {
      for (KafkaEvent.KafkaEventRecord record : partition.getValue()) {
        lines.append(record.getTopic()).append('/').append(record.getPartition()).append('/')
            .append(record.getOffset()).append(' ').append(decode(record.getKey())).append('=')
            .append(decode(record.getValue())).append(' ').append(event.getEventSource())
            .append('\n');
      }
    }
    try {
      Files.writeString(Path.of(System.getenv("RECORD_FILE")), lines.toString(),
          StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return null;
  }
}
