package dev.cloakroom.example.boot;

import java.net.CookieHandler;
import java.net.URI;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The cookies of one browser, by host, sent back as browsers do (RFC 6265: {@code name=value}). The JDK's
 * {@code CookieManager} would not do: it treats a cookie with {@code Max-Age} as an RFC 2965 cookie and sends
 * {@code $Version="1"; session="…"}, quoted, which no browser does. As in browsers, a host's cookies are shared by all
 * its ports; paths and domains are not needed here: every cookie is {@code Path=/} on its own host.
 */
final class CookieJar extends CookieHandler {
    private final Map<String, Map<String, String>> cookies = new LinkedHashMap<>();

    @Override
    public synchronized Map<String, List<String>> get(URI uri, Map<String, List<String>> requestHeaders) {
        Map<String, String> host = cookies.getOrDefault(uri.getHost(), Map.of());
        if (host.isEmpty()) {
            return Map.of();
        }
        return Map.of("Cookie", List.of(host.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("; "))));
    }

    @Override
    public synchronized void put(URI uri, Map<String, List<String>> responseHeaders) {
        responseHeaders.forEach((name, values) -> {
            if (name != null && name.equalsIgnoreCase("Set-Cookie")) {
                values.forEach(header -> accept(uri.getHost(), header));
            }
        });
    }

    synchronized Optional<String> value(String host, String name) {
        return Optional.ofNullable(cookies.getOrDefault(host, Map.of()).get(name));
    }

    synchronized void set(String host, String name, String value) {
        cookies.computeIfAbsent(host, h -> new LinkedHashMap<>()).put(name, value);
    }

    synchronized void remove(String host, String name) {
        cookies.getOrDefault(host, new LinkedHashMap<>()).remove(name);
    }

    private static boolean expired(String date) {
        return ZonedDateTime.parse(date, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().isBefore(Instant.now());
    }

    private void accept(String host, String header) {
        String[] parts = header.split(";");
        int equals = parts[0].indexOf('=');
        String name = parts[0].substring(0, equals).trim();
        boolean removed = false;
        for (int i = 1; i < parts.length; i++) {
            String attribute = parts[i].trim().toLowerCase(Locale.ROOT);
            // Tomcat writes Max-Age=0 to remove a cookie, Jetty only an Expires date in the past.
            if (attribute.equals("max-age=0") || attribute.startsWith("max-age=-")
                    || attribute.startsWith("expires=") && expired(parts[i].trim().substring("expires=".length()))) {
                removed = true;
            }
        }
        if (removed) {
            remove(host, name);
        } else {
            set(host, name, parts[0].substring(equals + 1).trim());
        }
    }
}
