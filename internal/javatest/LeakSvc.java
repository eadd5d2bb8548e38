// A small Java HTTP service for leakslope's tests (internal/javatest):
// the JDK's built-in com.sun.net.httpserver, one endpoint per shape.
//   /leak     keeps a Session per request in a static list: a leak of a named class
//   /mapleak  puts two new strings per request into a static HashMap
//   /clean    builds a reply and keeps nothing
// It prints "listening PORT" once it serves.
package com.acme;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;

final class Session {
    final long id;
    final byte[] token = new byte[48];

    Session(long id) {
        this.id = id;
    }
}

public class LeakSvc {
    static final List<Session> sessions = new ArrayList<>();
    static final Map<String, String> names = new HashMap<>();
    static long n;

    static void reply(HttpExchange ex, String body) throws IOException {
        byte[] b = body.getBytes();
        ex.sendResponseHeaders(200, b.length);
        try (OutputStream o = ex.getResponseBody()) {
            o.write(b);
        }
    }

    public static void main(String[] args) throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 64);
        s.createContext("/leak", ex -> {
            synchronized (sessions) {
                sessions.add(new Session(++n));
            }
            reply(ex, "ok");
        });
        s.createContext("/mapleak", ex -> {
            synchronized (names) {
                n++;
                names.put("user-" + n, "name-" + n);
            }
            reply(ex, "ok");
        });
        s.createContext("/clean", ex -> {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < 10; i++) {
                sb.append(i);
            }
            reply(ex, sb.toString());
        });
        s.setExecutor(Executors.newFixedThreadPool(4));
        s.start();
        System.out.println("listening " + s.getAddress().getPort());
    }
}
