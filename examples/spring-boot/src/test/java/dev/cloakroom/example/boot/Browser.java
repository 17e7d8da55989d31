package dev.cloakroom.example.boot;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** A browser over real HTTP: keeps cookies, follows no redirect, and records every cookie name it was sent. */
final class Browser {
    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\"[^>]*value=\"([^\"]+)\"");

    private final CookieJar cookies = new CookieJar();
    private final HttpClient client = HttpClient.newBuilder().cookieHandler(cookies).followRedirects(HttpClient.Redirect.NEVER).build();
    private final List<String> cookiesSet = new ArrayList<>();

    HttpResponse<String> get(int port, String path) {
        return send(HttpRequest.newBuilder(url(port, path)).GET());
    }

    HttpResponse<String> post(int port, String path, Map<String, String> form) {
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return send(HttpRequest.newBuilder(url(port, path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** The CSRF token of the form on the page at {@code path}. */
    String csrfToken(int port, String path) {
        HttpResponse<String> page = get(port, path);
        Matcher token = CSRF.matcher(page.body());
        if (page.statusCode() != 200 || !token.find()) {
            throw new AssertionError("no CSRF token in " + path + " (" + page.statusCode() + "): " + page.body());
        }
        return token.group(1);
    }

    Optional<String> cookie(String name) {
        return cookies.value(name);
    }

    /** Puts a cookie back as it was, as a browser (or an attacker) that kept it would send it. */
    void restoreCookie(String name, String value) {
        cookies.set(name, value);
    }

    /** Names of every cookie a response tried to set. */
    List<String> cookiesSet() {
        return List.copyOf(cookiesSet);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
            for (String header : response.headers().allValues("Set-Cookie")) {
                cookiesSet.add(header.substring(0, header.indexOf('=')).trim());
            }
            return response;
        } catch (IOException e) {
            throw new AssertionError("request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    private static URI url(int port, String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }
}
