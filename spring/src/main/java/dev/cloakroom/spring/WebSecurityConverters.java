package dev.cloakroom.spring;

import dev.cloakroom.SessionCodec;
import dev.cloakroom.ValueConverter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.springframework.security.web.authentication.WebAuthenticationDetails;
import org.springframework.security.web.authentication.preauth.PreAuthenticatedCredentialsNotFoundException;
import org.springframework.security.web.authentication.rememberme.CookieTheftException;
import org.springframework.security.web.authentication.rememberme.InvalidCookieException;
import org.springframework.security.web.authentication.rememberme.RememberMeAuthenticationException;
import org.springframework.security.web.authentication.session.SessionAuthenticationException;
import org.springframework.security.web.authentication.www.NonceExpiredException;
import org.springframework.security.web.csrf.DefaultCsrfToken;
import org.springframework.security.web.savedrequest.DefaultSavedRequest;

/**
 * Spring Security web: the CSRF token ({@code HttpSessionCsrfTokenRepository} keeps a {@link DefaultCsrfToken}; the
 * XOR-masked form exists only in request attributes), the saved request of a login redirect, the details of a web
 * login, and the web layer's authentication exceptions.
 */
final class WebSecurityConverters {
    /**
     * Headers a saved request does not keep: {@code Cookie} carries the raw session id (which must reach no store) and
     * the browser sends it again anyway; the authorization headers carry credentials.
     */
    static final Set<String> UNSAVED_HEADERS = Set.of("cookie", "authorization", "proxy-authorization");

    private WebSecurityConverters() {
    }

    static void install(SessionCodec.Builder codec) {
        codec.convert("spring.csrf-token", DefaultCsrfToken.class, ValueConverter.of(
                token -> {
                    Map<String, Object> data = Data.fields();
                    data.put("headerName", token.getHeaderName());
                    data.put("parameterName", token.getParameterName());
                    data.put("token", token.getToken());
                    return data;
                },
                data -> {
                    Map<String, Object> fields = Data.map(data);
                    return new DefaultCsrfToken(Data.requiredString(fields, "headerName"),
                            Data.requiredString(fields, "parameterName"), Data.requiredString(fields, "token"));
                }));
        // the session id it also holds is the raw id: only the address is kept
        codec.convert("spring.web-authentication-details", WebAuthenticationDetails.class, ValueConverter.of(
                details -> {
                    Map<String, Object> data = Data.fields();
                    data.put("remoteAddress", details.getRemoteAddress());
                    return data;
                },
                data -> new WebAuthenticationDetails(Data.string(Data.map(data), "remoteAddress"), null)));
        codec.convert("spring.saved-request", DefaultSavedRequest.class, ValueConverter.of(
                WebSecurityConverters::savedRequestData, WebSecurityConverters::savedRequest));
        SecurityConverters.exception(codec, RememberMeAuthenticationException.class, RememberMeAuthenticationException::new);
        SecurityConverters.exception(codec, CookieTheftException.class, CookieTheftException::new);
        SecurityConverters.exception(codec, InvalidCookieException.class, InvalidCookieException::new);
        SecurityConverters.exception(codec, SessionAuthenticationException.class, SessionAuthenticationException::new);
        SecurityConverters.exception(codec, PreAuthenticatedCredentialsNotFoundException.class, PreAuthenticatedCredentialsNotFoundException::new);
        SecurityConverters.exception(codec, NonceExpiredException.class, NonceExpiredException::new);
    }

    /** Everything but the cookies (see {@link #UNSAVED_HEADERS}), which {@code SavedRequestAwareWrapper} never reads back. */
    private static Object savedRequestData(DefaultSavedRequest request) {
        Map<String, Object> data = Data.fields();
        data.put("method", request.getMethod());
        data.put("scheme", request.getScheme());
        data.put("serverName", request.getServerName());
        data.put("serverPort", request.getServerPort());
        data.put("requestURL", request.getRequestURL());
        data.put("requestURI", request.getRequestURI());
        data.put("contextPath", request.getContextPath());
        data.put("servletPath", request.getServletPath());
        data.put("pathInfo", request.getPathInfo());
        data.put("queryString", request.getQueryString());
        data.put("matchingRequestParameterName", matchingRequestParameterName(request));
        Map<String, Object> headers = new LinkedHashMap<>();
        for (String name : request.getHeaderNames()) {
            if (!UNSAVED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                headers.put(name, new ArrayList<>(request.getHeaderValues(name)));
            }
        }
        data.put("headers", headers);
        Map<String, Object> parameters = new LinkedHashMap<>();
        request.getParameterMap().forEach((name, values) -> parameters.put(name, List.of(values)));
        data.put("parameters", parameters);
        data.put("locales", Data.each(request.getLocales(), Locale::toLanguageTag));
        return data;
    }

    private static DefaultSavedRequest savedRequest(Object data) {
        Map<String, Object> fields = Data.map(data);
        Map<String, List<String>> headers = new LinkedHashMap<>();
        Map<String, Object> storedHeaders = Data.map(fields, "headers");
        storedHeaders.keySet().forEach(name -> headers.put(name, Data.list(storedHeaders, name, String.class)));
        Map<String, String[]> parameters = new LinkedHashMap<>();
        Map<String, Object> storedParameters = Data.map(fields, "parameters");
        storedParameters.keySet().forEach(name -> parameters.put(name, Data.list(storedParameters, name, String.class).toArray(String[]::new)));
        List<Locale> locales = Data.list(fields, "locales", String.class).stream().map(Locale::forLanguageTag).toList();
        return new DefaultSavedRequest.Builder()
                .setMethod(Data.string(fields, "method"))
                .setScheme(Data.string(fields, "scheme"))
                .setServerName(Data.string(fields, "serverName"))
                .setServerPort((int) Data.number(fields, "serverPort"))
                .setRequestURL(Data.string(fields, "requestURL"))
                .setRequestURI(Data.string(fields, "requestURI"))
                .setContextPath(Data.string(fields, "contextPath"))
                .setServletPath(Data.string(fields, "servletPath"))
                .setPathInfo(Data.string(fields, "pathInfo"))
                .setQueryString(Data.string(fields, "queryString"))
                .setMatchingRequestParameterName(Data.string(fields, "matchingRequestParameterName"))
                .setHeaders(headers)
                .setParameters(parameters)
                .setLocales(new ArrayList<>(locales))
                .setCookies(new ArrayList<>())
                .build();
    }

    /**
     * The request cache's marker parameter ({@code continue} by default), which {@link DefaultSavedRequest} has no getter
     * for: {@code getRedirectUrl()} appends it as the last parameter of the saved query, so it is read from there.
     */
    static String matchingRequestParameterName(DefaultSavedRequest request) {
        String url = request.getRedirectUrl();
        int question = url.indexOf('?');
        String redirectQuery = question < 0 ? null : url.substring(question + 1);
        if (redirectQuery == null || Objects.equals(redirectQuery, request.getQueryString())) {
            return null;
        }
        int last = redirectQuery.lastIndexOf('&');
        return last < 0 ? redirectQuery : redirectQuery.substring(last + 1);
    }
}
