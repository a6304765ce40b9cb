// Parses byte vectors that Wharf's generated C++ codec encoded with Apache Kafka's own
// generated Java message classes, and re-serialises them: the bytes must be consumed
// exactly and come back identical. Run by java_crosscheck.py; input lines are
// "<KafkaName> <version> <hex or -> <stable|unstable>" (see round_trip_test.cc).
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;

public final class JavaCrossCheck {
    private JavaCrossCheck() {}

    private static Class<?> messageClass(String name) {
        for (String candidate : List.of(name + "Data", name)) {
            try {
                return Class.forName("org.apache.kafka.common.message." + candidate);
            } catch (ClassNotFoundException e) {
                // try the next spelling
            }
        }
        return null;
    }

    public static void main(String[] args) throws Exception {
        int checked = 0, skipped = 0, failed = 0;
        Map<String, String> skippedWhy = new TreeMap<>();
        HexFormat hex = HexFormat.of();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            String[] parts = line.split(" ");
            String name = parts[0];
            short version = Short.parseShort(parts[1]);
            byte[] bytes = parts[2].equals("-") ? new byte[0] : hex.parseHex(parts[2]);
            Class<?> type = messageClass(name);
            if (type == null) {
                skipped++;
                skippedWhy.put(name, "no Java class");
                continue;
            }
            Message message = (Message) type.getDeclaredConstructor().newInstance();
            if (version < message.lowestSupportedVersion() || version > message.highestSupportedVersion()) {
                skipped++;
                skippedWhy.merge(name, "v" + version, (a, b) -> a + "," + b);
                continue;
            }
            String problem = null;
            try {
                ByteBuffer in = ByteBuffer.wrap(bytes);
                message.read(new ByteBufferAccessor(in), version);
                if (in.hasRemaining()) {
                    problem = in.remaining() + " bytes left over";
                } else {
                    ObjectSerializationCache cache = new ObjectSerializationCache();
                    ByteBuffer out = ByteBuffer.allocate(message.size(cache, version));
                    message.write(new ByteBufferAccessor(out), cache, version);
                    if (!java.util.Arrays.equals(out.array(), bytes)) {
                        problem = "re-serialised bytes differ: " + hex.formatHex(out.array());
                    }
                }
            } catch (Exception e) {
                problem = e.toString();
            }
            if (problem != null && parts[3].equals("unstable")) {
                skipped++;
                skippedWhy.merge(name, "v" + version + " (unstable in the specs, changed since)",
                                 (a, b) -> a.contains(b) ? a : a + "," + b);
                continue;
            }
            checked++;
            if (problem != null) {
                failed++;
                System.out.println("FAIL " + name + " v" + version + ": " + problem + "\n  ours: " + parts[2]);
            }
        }
        skippedWhy.forEach((name, why) -> System.out.println("skipped " + name + ": " + why));
        System.out.printf("java cross-check: %d vectors checked, %d failed, %d skipped%n", checked, failed, skipped);
        System.exit(failed == 0 && checked > 0 ? 0 : 1);
    }
}
