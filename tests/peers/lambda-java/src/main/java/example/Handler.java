// A Lambda handler for Kafka events, run unmodified under AWS's Java runtime interface
// client against Wharf's Runtime API. It answers with a summary of the batch and throws
// when a record's value is "fail", so tests see both outcomes.
package example;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.KafkaEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

public class Handler implements RequestHandler<KafkaEvent, String> {
  @Override
  public String handleRequest(KafkaEvent event, Context context) {
    List<String> values = new ArrayList<>();
    for (Map.Entry<String, List<KafkaEvent.KafkaEventRecord>> partition :
        event.getRecords().entrySet()) {
      for (KafkaEvent.KafkaEventRecord record : partition.getValue()) {
        String value =
            new String(Base64.getDecoder().decode(record.getValue()), StandardCharsets.UTF_8);
        if (value.equals("fail")) {
          throw new IllegalStateException(
              "refusing record " + record.getTopic() + "-" + record.getPartition() + "@"
                  + record.getOffset());
        }
        values.add(record.getTopic() + "/" + record.getPartition() + "/" + record.getOffset()
            + "=" + value);
      }
    }
    context.getLogger().log("handled " + values.size() + " records from " + event.getEventSource());
    return "java " + context.getFunctionName() + " " + context.getAwsRequestId() + " "
        + event.getEventSource() + " " + String.join(",", values);
  }
}
