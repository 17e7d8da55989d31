package dev.cloakroom.example.boot;

import java.net.CookieHandler;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The cookies of one browser on one host, sent back as browsers do (RFC 6265: {@code name=value}). The JDK's
 * {@code CookieManager} would not do: it treats a cookie with {@code Max-Age} as an RFC 2965 cookie and sends
 * {@code $Version="1"; session="…"}, quoted, which no browser does. Paths and domains are not needed here: every
 * cookie is {@code Path=/} on 127.0.0.1.
 */
final class CookieJar extends CookieHandler {
    private final Map<String, String> cookies = new LinkedHashMap<>();

    @Override
    public synchronized Map<String, List<String>> get(URI uri, Map<String, List<String>> requestHeaders) {
        if (cookies.isEmpty()) {
            return Map.of();
        }
        return Map.of("Cookie", List.of(cookies.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining("; "))));
    }

    @Override
    public synchronized void put(URI uri, Map<String, List<String>> responseHeaders) {
        responseHeaders.forEach((name, values) -> {
            if (name != null && name.equalsIgnoreCase("Set-Cookie")) {
                values.forEach(this::accept);
            }
        });
    }

    synchronized Optional<String> value(String name) {
        return Optional.ofNullable(cookies.get(name));
    }

    synchronized void set(String name, String value) {
        cookies.put(name, value);
    }

    private void accept(String header) {
        String[] parts = header.split(";");
        int equals = parts[0].indexOf('=');
        String name = parts[0].substring(0, equals).trim();
        boolean removed = false;
        for (int i = 1; i < parts.length; i++) {
            String attribute = parts[i].trim().toLowerCase(Locale.ROOT);
            if (attribute.equals("max-age=0") || attribute.startsWith("max-age=-")) {
                removed = true;
            }
        }
        if (removed) {
            cookies.remove(name);
        } else {
            cookies.put(name, parts[0].substring(equals + 1).trim());
        }
    }
}
