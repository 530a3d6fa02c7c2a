// Dev/test Neo4j Community server (embedded DBMS with the Bolt connector).
//
// Run as a Java 17 single-file source program, with the classpath resolved by
// `mvn dependency:build-classpath` from devdb/pom.xml (devdb/devdb does this):
//
//   java -cp <classpath> devdb/Launcher.java --home DIR [--port 7687]
//        [--host 127.0.0.1] [--pagecache 256m] [--tx-timeout 120s] [--config FILE]
//
// Prints "READY bolt://HOST:PORT" on stdout once Bolt accepts connections and
// the default database answers a query. Shuts down cleanly on SIGTERM/SIGINT.

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.kernel.internal.Version;

public class Launcher {

    private static void usage(String error) {
        if (error != null) {
            System.err.println("Launcher: " + error);
        }
        System.err.println("usage: java -cp <classpath> Launcher.java --home DIR [--port 7687] [--host 127.0.0.1]"
                + " [--pagecache 256m] [--tx-timeout 120s] [--config FILE]");
        System.exit(2);
    }

    /** Parses sizes like 256m, 1g, 512k, 1048576. */
    private static long parseBytes(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        long mult = 1;
        char last = v.charAt(v.length() - 1);
        if (last == 'k') mult = 1L << 10;
        else if (last == 'm') mult = 1L << 20;
        else if (last == 'g') mult = 1L << 30;
        if (mult != 1) v = v.substring(0, v.length() - 1);
        return Long.parseLong(v) * mult;
    }

    /** Parses durations like 120s, 5m, 1h, 500ms, or plain seconds. */
    private static Duration parseDuration(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        if (v.endsWith("ms")) return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
        if (v.endsWith("s")) return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
        if (v.endsWith("m")) return Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
        if (v.endsWith("h")) return Duration.ofHours(Long.parseLong(v.substring(0, v.length() - 1)));
        return Duration.ofSeconds(Long.parseLong(v));
    }

    public static void main(String[] args) throws Exception {
        Path home = null;
        String host = "127.0.0.1";
        int port = 7687;
        long pagecache = 256L << 20;
        Duration txTimeout = Duration.ofSeconds(120);
        Path configFile = null;

        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("-h") || a.equals("--help")) usage(null);
            if (i + 1 >= args.length) usage("missing value for " + a);
            String v = args[++i];
            switch (a) {
                case "--home" -> home = Path.of(v).toAbsolutePath().normalize();
                case "--host" -> host = v;
                case "--port" -> port = Integer.parseInt(v);
                case "--pagecache" -> pagecache = parseBytes(v);
                case "--tx-timeout" -> txTimeout = parseDuration(v);
                case "--config" -> configFile = Path.of(v);
                default -> usage("unknown option " + a);
            }
        }
        if (home == null) usage("--home is required");
        Files.createDirectories(home);

        long t0 = System.nanoTime();
        System.out.println("Starting Neo4j " + Version.getNeo4jVersion() + " (community, embedded) home=" + home
                + " bolt=" + host + ":" + port + " java=" + System.getProperty("java.version"));

        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home);
        if (configFile != null) {
            builder.loadPropertiesFromFile(configFile);
        }
        builder
                // Bolt only, loopback only, no auth: this is a throwaway dev/test server.
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                // Modest resources for tests.
                .setConfig(GraphDatabaseSettings.pagecache_memory, pagecache)
                .setConfig(GraphDatabaseSettings.transaction_timeout, txTimeout)
                .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "false")
                // Bolt waits 5 s for connections to drain on shutdown by default; a test server
                // should stop quickly (internal setting, checked against the pinned version).
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(1))
                .setConfig(BoltConnectorInternalSettings.thread_pool_shutdown_wait_time, Duration.ofSeconds(1));

        DatabaseManagementService service = builder.build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("Shutting down Neo4j ...");
            try {
                service.shutdown();
                System.out.println("Neo4j stopped.");
            } catch (Throwable t) {
                System.err.println("Error during shutdown: " + t);
            } finally {
                System.out.flush();
                stopped.countDown();
            }
        }, "devdb-shutdown"));

        // Wait until the default database is available and answers a query.
        GraphDatabaseService db = service.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        if (!db.isAvailable(TimeUnit.MINUTES.toMillis(3))) {
            System.err.println("Default database did not become available");
            System.exit(1);
        }
        db.executeTransactionally("RETURN 1");

        // Wait until Bolt accepts TCP connections.
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
                break;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    System.err.println("Bolt connector is not accepting connections on " + host + ":" + port);
                    System.exit(1);
                }
                Thread.sleep(100);
            }
        }

        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.println("READY bolt://" + host + ":" + port + " (neo4j " + Version.getNeo4jVersion()
                + ", started in " + ms + " ms)");
        System.out.flush();

        // Park the main thread; the shutdown hook stops the DBMS on SIGTERM/SIGINT.
        stopped.await();
    }
}
