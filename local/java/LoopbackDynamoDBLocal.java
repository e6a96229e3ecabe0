import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.List;

import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;

import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Runs DynamoDB Local with its usual command-line flags, but listening on one address only
 * (127.0.0.1 unless the system property mailroom.host says otherwise). The stock jar binds
 * every interface and has no flag to change that, so the Jetty connectors are re-pointed
 * before the server starts.
 *
 * Two additions serve the Node process that starts this one:
 * - "-port 0" asks the system for a free port (the stock parser rejects 0), and once
 *   listening, one line "mailroom-dynamodb-local listening HOST:PORT" on stdout reports the
 *   real port, so the parent needs no racy free-port probe;
 * - the process exits 15 s after its stdin reaches end of file. The parent holds the other
 *   end of that pipe, so if the parent dies without cleaning up, this JVM does not outlive
 *   it for long (and the next start stops it at once).
 *
 * Written against DynamoDB Local 3.x (packages software.amazon.dynamodb.*, Jetty 12); the
 * connector lives in a private field, so check it again when the jar version changes.
 */
public final class LoopbackDynamoDBLocal {
  private static final long ORPHAN_GRACE_MS = 15_000;

  private static final String READY_PREFIX = "mailroom-dynamodb-local listening ";

  private LoopbackDynamoDBLocal() {}

  public static void main(String[] args) throws Exception {
    String host = System.getProperty("mailroom.host", "127.0.0.1");
    boolean anyPort = asksForAnyPort(args);
    String[] stockArgs = anyPort ? withoutPort(args) : args;
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(stockArgs);
    Server jetty = jettyOf(proxy);

    ServerConnector connector = null;
    for (Connector candidate : jetty.getConnectors()) {
      if (candidate instanceof ServerConnector serverConnector) {
        serverConnector.setHost(host);
        if (anyPort) serverConnector.setPort(0);
        connector = serverConnector;
      }
    }
    if (connector == null) throw new IllegalStateException("no network connector to bind");

    exitWhenStdinCloses();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> stopQuietly(proxy)));

    proxy.start();
    System.out.println(READY_PREFIX + host + ":" + connector.getLocalPort());
    System.out.flush();
    proxy.join();
  }

  private static boolean asksForAnyPort(String[] args) {
    for (int i = 0; i + 1 < args.length; i++) {
      if (args[i].equals("-port") && args[i + 1].equals("0")) return true;
    }
    return false;
  }

  private static String[] withoutPort(String[] args) {
    List<String> kept = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("-port")) {
        i++;
        continue;
      }
      kept.add(args[i]);
    }
    return kept.toArray(new String[0]);
  }

  private static Server jettyOf(DynamoDBProxyServer proxy) throws ReflectiveOperationException {
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    return (Server) field.get(proxy);
  }

  private static void exitWhenStdinCloses() {
    Thread watcher = new Thread(() -> {
      InputStream in = System.in;
      byte[] buffer = new byte[256];
      try {
        while (in.read(buffer) >= 0) {
          // The parent never writes; anything it sends is ignored.
        }
      } catch (IOException ignored) {
        // A broken pipe means the same as end of file: nobody is left to serve.
      }
      // The workers lose their parent at the same moment and finish what they hold first;
      // their last writes need the table, so it stays up a little longer than they do.
      try {
        Thread.sleep(ORPHAN_GRACE_MS);
      } catch (InterruptedException ignored) {
        // Exiting now is fine too.
      }
      System.exit(0);
    }, "parent-watch");
    watcher.setDaemon(true);
    watcher.start();
  }

  private static void stopQuietly(DynamoDBProxyServer proxy) {
    try {
      proxy.stop();
    } catch (Exception ignored) {
      // The JVM is exiting anyway; a failed stop leaves nothing behind that exit won't.
    }
  }
}
