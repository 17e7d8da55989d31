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

/**
 * A browser over real HTTP: keeps cookies by host, follows no redirect, and records every cookie name the app sent.
 * The app is at {@value #APP_HOST}; an OpenID Connect provider the test starts is on another host ({@code localhost}),
 * so the two never see each other's cookies.
 */
final class Browser {
    static final String APP_HOST = "127.0.0.1";
    // What a browser asks for when it navigates; Spring Authorization Server redirects to its login only such requests.
    private static final String ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    private static final Pattern CSRF = Pattern.compile("name=\"_csrf\"[^>]*value=\"([^\"]+)\"");

    private final CookieJar cookies = new CookieJar();
    private final HttpClient client = HttpClient.newBuilder().cookieHandler(cookies).followRedirects(HttpClient.Redirect.NEVER).build();
    private final List<String> cookiesSet = new ArrayList<>();

    HttpResponse<String> get(int port, String path) {
        return get(url(port, path));
    }

    HttpResponse<String> get(URI url) {
        return send(HttpRequest.newBuilder(url).GET());
    }

    HttpResponse<String> post(int port, String path, Map<String, String> form) {
        return post(url(port, path), form);
    }

    HttpResponse<String> post(URI url, Map<String, String> form) {
        String body = form.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return send(HttpRequest.newBuilder(url)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** A {@code DELETE}, with Spring Security's CSRF header, as a page's script would send it. */
    HttpResponse<String> delete(int port, String path, String csrfToken) {
        return send(HttpRequest.newBuilder(url(port, path)).header("X-CSRF-TOKEN", csrfToken).DELETE());
    }

    /** The CSRF token of the form on the app's page at {@code path}. */
    String csrfToken(int port, String path) {
        return csrfToken(url(port, path));
    }

    /** The CSRF token of the form on the page at {@code url}. */
    String csrfToken(URI url) {
        HttpResponse<String> page = get(url);
        Matcher token = CSRF.matcher(page.body());
        if (page.statusCode() != 200 || !token.find()) {
            throw new AssertionError("no CSRF token in " + url + " (" + page.statusCode() + "): " + page.body());
        }
        return token.group(1);
    }

    /** The app's cookie of that name. */
    Optional<String> cookie(String name) {
        return cookies.value(APP_HOST, name);
    }

    /** Puts an app cookie back as it was, as a browser (or an attacker) that kept it would send it. */
    void restoreCookie(String name, String value) {
        cookies.set(APP_HOST, name, value);
    }

    /** Drops an app cookie, as a browser does with a session cookie when it is closed. */
    void forgetCookie(String name) {
        cookies.remove(APP_HOST, name);
    }

    /** Names of every cookie a response from the app tried to set. */
    List<String> cookiesSet() {
        return List.copyOf(cookiesSet);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = client.send(request.header("Accept", ACCEPT).build(), HttpResponse.BodyHandlers.ofString());
            if (response.uri().getHost().equals(APP_HOST)) {
                for (String header : response.headers().allValues("Set-Cookie")) {
                    cookiesSet.add(header.substring(0, header.indexOf('=')).trim());
                }
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
        return URI.create("http://" + APP_HOST + ":" + port + path);
    }
}
