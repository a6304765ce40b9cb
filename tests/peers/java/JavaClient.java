// Small kafka-clients CLI used by Wharf's integration tests as a reference Java peer.
//
//   produce --bootstrap B --topic T --count N [--compression C] [--prefix P]
//           [--acks A] [--partition P] [--idempotence true|false]
//   consume --bootstrap B --topic T --count N [--group G] [--timeout-ms MS]
//   txn-produce --bootstrap B --topic T --transactional-id ID --plan commit:N,abort:M,...
//   eos-copy --bootstrap B --input I --output O --group G --transactional-id ID
//            --count N [--batch K] [--crash-after C] [--timeout-ms MS]
//   group-consume --bootstrap B --topic T --group G [--session-timeout-ms MS]
//           [--instance ID] [--client-id ID]
//
// produce sends N records with key "<prefix>key-<i>", value "<prefix>value-<i>" and
// headers idx=<i>, client=java, and prints one JSON line per acknowledged record.
// consume reads N records from the beginning (subscribing with --group, or by
// assigning every partition without one) and prints one JSON line per record:
// {"topic","partition","offset","timestamp","key","value","headers":[[k,v],...]}.
// txn-produce runs one transaction per plan step: step s sends N records with value
// "t<s>-<i>" round-robin over the topic's partitions, then commits or aborts, and prints
// {"step":s,"outcome":"commit"|"abort","records":N}.
// eos-copy is a consume-transform-produce loop with exactly-once semantics: it reads I in
// group G (read_committed), writes "copy:<value>" with the same key to O, and commits the
// consumed offsets in the same transaction (sendOffsetsToTransaction), K records per
// transaction, until the group's committed offsets reach N records in total. With
// --crash-after C it halts the JVM (no cleanup) in the middle of a transaction after
// sending C records, as a crashed processor would. Prints {"copied":n} at the end.
// group-consume is a consumer group member that runs until SIGTERM (then it closes and
// leaves the group): for every poll it commits the offsets synchronously and only then
// prints the records, one JSON line each ({"partition","offset","key","value"}), so a
// record is printed once across the group; assignments are printed as
// {"event":"assigned","partitions":[...]}.
// Exit code 0 on success, 1 on an error or timeout, 2 on bad usage.

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class JavaClient {
    private JavaClient() {}

    public static void main(String[] args) {
        if (args.length < 1) {
            usage("missing command");
        }
        Map<String, String> opts = parseOptions(args);
        try {
            switch (args[0]) {
                case "produce" -> produce(opts);
                case "consume" -> consume(opts);
                case "txn-produce" -> transactionalProduce(opts);
                case "eos-copy" -> exactlyOnceCopy(opts);
                case "group-consume" -> groupConsume(opts);
                default -> usage("unknown command " + args[0]);
            }
        } catch (Exception e) {
            System.err.println("JavaClient: " + e);
            System.exit(1);
        }
    }

    private static void produce(Map<String, String> opts) throws Exception {
        String topic = required(opts, "topic");
        int count = Integer.parseInt(required(opts, "count"));
        String prefix = opts.getOrDefault("prefix", "");
        Integer partition = opts.containsKey("partition") ? Integer.valueOf(opts.get("partition")) : null;

        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, required(opts, "bootstrap"));
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, opts.getOrDefault("compression", "none"));
        props.put(ProducerConfig.ACKS_CONFIG, opts.getOrDefault("acks", "all"));
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, opts.getOrDefault("idempotence", "true"));
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");

        try (KafkaProducer<byte[], byte[]> producer =
                 new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            List<Future<RecordMetadata>> acks = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                RecordHeaders headers = new RecordHeaders();
                headers.add("idx", bytes(Integer.toString(i)));
                headers.add("client", bytes("java"));
                acks.add(producer.send(new ProducerRecord<>(topic, partition, null,
                    bytes(prefix + "key-" + i), bytes(prefix + "value-" + i), headers)));
            }
            producer.flush();
            for (int i = 0; i < count; i++) {
                RecordMetadata md = acks.get(i).get();
                System.out.println("{\"key\":" + json(prefix + "key-" + i)
                    + ",\"partition\":" + md.partition() + ",\"offset\":" + md.offset()
                    + ",\"timestamp\":" + md.timestamp() + "}");
            }
        }
    }

    private static void transactionalProduce(Map<String, String> opts) throws Exception {
        String topic = required(opts, "topic");
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, required(opts, "bootstrap"));
        props.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, required(opts, "transactional-id"));
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "30000");
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        try (KafkaProducer<byte[], byte[]> producer =
                 new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            int partitions = producer.partitionsFor(topic).size();
            String[] steps = required(opts, "plan").split(",");
            for (int s = 0; s < steps.length; s++) {
                String[] step = steps[s].split(":");
                int count = Integer.parseInt(step[1]);
                producer.beginTransaction();
                for (int i = 0; i < count; i++) {
                    producer.send(new ProducerRecord<>(topic, i % partitions,
                        bytes("k" + i), bytes("t" + s + "-" + i)));
                }
                producer.flush();
                if (step[0].equals("commit")) {
                    producer.commitTransaction();
                } else {
                    producer.abortTransaction();
                }
                System.out.println("{\"step\":" + s + ",\"outcome\":" + json(step[0])
                    + ",\"records\":" + count + "}");
            }
        }
    }

    private static void exactlyOnceCopy(Map<String, String> opts) throws Exception {
        String input = required(opts, "input");
        String output = required(opts, "output");
        String group = required(opts, "group");
        int count = Integer.parseInt(required(opts, "count"));
        int batch = Integer.parseInt(opts.getOrDefault("batch", "10"));
        int crashAfter = Integer.parseInt(opts.getOrDefault("crash-after", "-1"));
        long deadline = System.currentTimeMillis() + Long.parseLong(opts.getOrDefault("timeout-ms", "60000"));

        Properties cprops = new Properties();
        cprops.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, required(opts, "bootstrap"));
        cprops.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        cprops.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        cprops.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        cprops.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        cprops.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(batch));
        cprops.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "10000");
        cprops.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
        Properties pprops = new Properties();
        pprops.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, required(opts, "bootstrap"));
        pprops.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, required(opts, "transactional-id"));
        pprops.put(ProducerConfig.LINGER_MS_CONFIG, "5");

        int sent = 0;
        long copied = 0;
        try (KafkaConsumer<byte[], byte[]> consumer =
                 new KafkaConsumer<>(cprops, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             KafkaProducer<byte[], byte[]> producer =
                 new KafkaProducer<>(pprops, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            consumer.subscribe(List.of(input));
            while (System.currentTimeMillis() < deadline) {
                var records = consumer.poll(Duration.ofMillis(200));
                if (records.isEmpty()) {
                    copied = committedTotal(consumer, input);
                    if (copied >= count) {
                        break;
                    }
                    continue;
                }
                producer.beginTransaction();
                Map<TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata> offsets = new HashMap<>();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    producer.send(new ProducerRecord<>(output, r.key(),
                        bytes("copy:" + new String(r.value(), StandardCharsets.UTF_8))));
                    offsets.put(new TopicPartition(r.topic(), r.partition()),
                        new org.apache.kafka.clients.consumer.OffsetAndMetadata(r.offset() + 1));
                    sent++;
                    if (sent == crashAfter) {
                        producer.flush();
                        Runtime.getRuntime().halt(3);
                    }
                }
                producer.sendOffsetsToTransaction(offsets, consumer.groupMetadata());
                producer.commitTransaction();
            }
        }
        System.out.println("{\"copied\":" + copied + "}");
        if (copied < count) {
            System.err.println("JavaClient: timed out with " + copied + " of " + count + " copied");
            System.exit(1);
        }
    }

    // Records of the topic covered by the group's committed offsets (from offset 0).
    private static long committedTotal(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        List<TopicPartition> parts = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic)) {
            parts.add(new TopicPartition(topic, p.partition()));
        }
        long total = 0;
        for (var e : consumer.committed(new java.util.HashSet<>(parts)).entrySet()) {
            if (e.getValue() != null) {
                total += e.getValue().offset();
            }
        }
        return total;
    }

    private static void consume(Map<String, String> opts) {
        String topic = required(opts, "topic");
        int count = Integer.parseInt(required(opts, "count"));
        String group = opts.get("group");
        long deadline = System.currentTimeMillis() + Long.parseLong(opts.getOrDefault("timeout-ms", "30000"));

        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, required(opts, "bootstrap"));
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        if (group != null) {
            props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        }

        int seen = 0;
        try (KafkaConsumer<byte[], byte[]> consumer =
                 new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            if (group != null) {
                consumer.subscribe(List.of(topic));
            } else {
                List<TopicPartition> parts = new ArrayList<>();
                for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(15))) {
                    parts.add(new TopicPartition(topic, p.partition()));
                }
                consumer.assign(parts);
                consumer.seekToBeginning(parts);
            }
            while (seen < count && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (seen == count) {
                        break;
                    }
                    System.out.println(recordJson(r));
                    seen++;
                }
            }
            System.out.flush();
            if (group != null && seen > 0) {
                consumer.commitSync(Duration.ofSeconds(10));
            }
        }
        if (seen < count) {
            System.err.println("JavaClient: timed out after " + seen + " of " + count + " records");
            System.exit(1);
        }
    }

    private static void groupConsume(Map<String, String> opts) throws InterruptedException {
        String topic = required(opts, "topic");
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, required(opts, "bootstrap"));
        props.put(ConsumerConfig.GROUP_ID_CONFIG, required(opts, "group"));
        props.put(ConsumerConfig.CLIENT_ID_CONFIG, opts.getOrDefault("client-id", "group-test"));
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, opts.getOrDefault("session-timeout-ms", "6000"));
        props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "1000");
        props.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, "30000");
        if (opts.containsKey("instance")) {
            props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, opts.get("instance"));
        }
        KafkaConsumer<byte[], byte[]> consumer =
            new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        AtomicBoolean stopping = new AtomicBoolean(false);
        Thread main = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stopping.set(true);
            consumer.wakeup();
            try {
                main.join(30000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
            @Override
            public void onPartitionsRevoked(java.util.Collection<TopicPartition> partitions) {}

            @Override
            public void onPartitionsAssigned(java.util.Collection<TopicPartition> partitions) {
                List<Integer> ids = new ArrayList<>();
                for (TopicPartition tp : partitions) {
                    ids.add(tp.partition());
                }
                java.util.Collections.sort(ids);
                System.out.println("{\"event\":\"assigned\",\"partitions\":" + ids + "}");
                System.out.flush();
            }
        });
        try {
            while (!stopping.get()) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                if (records.isEmpty()) {
                    continue;
                }
                Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
                for (TopicPartition tp : records.partitions()) {
                    List<ConsumerRecord<byte[], byte[]>> recs = records.records(tp);
                    offsets.put(tp, new OffsetAndMetadata(recs.get(recs.size() - 1).offset() + 1));
                }
                try {
                    consumer.commitSync(offsets, Duration.ofSeconds(10));
                } catch (WakeupException e) {
                    throw e;
                } catch (KafkaException e) {
                    // Revoked meanwhile: another member consumes these records again.
                    System.err.println("JavaClient: commit failed: " + e);
                    continue;
                }
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    System.out.println("{\"partition\":" + r.partition() + ",\"offset\":" + r.offset()
                        + ",\"key\":" + json(str(r.key())) + ",\"value\":" + json(str(r.value())) + "}");
                }
                System.out.flush();
            }
        } catch (WakeupException e) {
            // shutting down
        } finally {
            consumer.close(Duration.ofSeconds(10));
        }
    }

    private static String recordJson(ConsumerRecord<byte[], byte[]> r) {
        StringBuilder hs = new StringBuilder("[");
        for (Header h : r.headers()) {
            if (hs.length() > 1) {
                hs.append(',');
            }
            hs.append('[').append(json(h.key())).append(',').append(json(str(h.value()))).append(']');
        }
        hs.append(']');
        return "{\"topic\":" + json(r.topic()) + ",\"partition\":" + r.partition()
            + ",\"offset\":" + r.offset() + ",\"timestamp\":" + r.timestamp()
            + ",\"key\":" + json(str(r.key())) + ",\"value\":" + json(str(r.value()))
            + ",\"headers\":" + hs + "}";
    }

    private static Map<String, String> parseOptions(String[] args) {
        Map<String, String> opts = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                usage("bad argument " + args[i]);
            }
            opts.put(args[i].substring(2), args[++i]);
        }
        return opts;
    }

    private static String required(Map<String, String> opts, String name) {
        String v = opts.get(name);
        if (v == null) {
            usage("missing --" + name);
        }
        return v;
    }

    private static void usage(String why) {
        System.err.println("JavaClient: " + why + "\nusage:\n"
            + "  produce --bootstrap B --topic T --count N [--compression C] [--prefix P]"
            + " [--acks A] [--partition P] [--idempotence true|false]\n"
            + "  consume --bootstrap B --topic T --count N [--group G] [--timeout-ms MS]\n"
            + "  group-consume --bootstrap B --topic T --group G [--session-timeout-ms MS]"
            + " [--instance ID] [--client-id ID]");
        System.exit(2);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String str(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    /** JSON string literal (or null) for s. */
    private static String json(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
