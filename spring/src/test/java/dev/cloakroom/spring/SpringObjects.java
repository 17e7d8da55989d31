package dev.cloakroom.spring;

import java.net.URI;
import java.net.URL;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import jakarta.servlet.http.Cookie;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.FactorGrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextImpl;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.oauth2.core.oidc.OidcIdToken;
import org.springframework.security.oauth2.core.oidc.OidcUserInfo;
import org.springframework.security.web.authentication.WebAuthenticationDetails;
import org.springframework.security.web.savedrequest.DefaultSavedRequest;

/** The objects a Spring Security form or OIDC login leaves in the session, as Spring builds them. */
final class SpringObjects {
    /** What must never reach a store. */
    static final String PASSWORD = "s3cret-Passw0rd";
    static final String RAW_SESSION_ID = "Raw_Session_Id_0123456789abcdefghijklmnopqr";
    static final Instant ISSUED = Instant.parse("2026-05-01T10:00:00Z");
    static final Instant EXPIRES = Instant.parse("2026-05-01T11:00:00Z");

    private SpringObjects() {
    }

    /** A form login as ProviderManager leaves it: credentials erased, a factor authority, web details. */
    static SecurityContextImpl formLogin() {
        User user = new User("alice", PASSWORD, true, true, true, false,
                List.of(new SimpleGrantedAuthority("ROLE_USER"), new SimpleGrantedAuthority("ROLE_ADMIN")));
        UsernamePasswordAuthenticationToken token = UsernamePasswordAuthenticationToken.authenticated(user, PASSWORD,
                List.of(new SimpleGrantedAuthority("ROLE_USER"),
                        FactorGrantedAuthority.withAuthority(FactorGrantedAuthority.PASSWORD_AUTHORITY).issuedAt(ISSUED).build()));
        token.setDetails(new WebAuthenticationDetails("203.0.113.7", RAW_SESSION_ID));
        return new SecurityContextImpl(token);
    }

    /** A request for a protected page, with the session cookie and a Basic password among its headers. */
    static MockHttpServletRequest protectedPageRequest() {
        MockHttpServletRequest request = new MockHttpServletRequest("GET", "/app/account/orders");
        request.setScheme("https");
        request.setServerName("shop.example");
        request.setServerPort(8443);
        request.setContextPath("/app");
        request.setServletPath("/account");
        request.setPathInfo("/orders");
        request.setQueryString("page=2&sort=date");
        request.addParameter("page", "2");
        request.addParameter("sort", "date", "total");
        request.addHeader("Accept", "text/html");
        request.addHeader("Accept-Language", "fr-CH, en;q=0.5");
        request.addHeader("Authorization", "Basic " + PASSWORD);
        request.addHeader("Cookie", "session=" + RAW_SESSION_ID + "; theme=dark");
        request.setCookies(new Cookie("session", RAW_SESSION_ID), new Cookie("theme", "dark"));
        request.addPreferredLocale(Locale.ENGLISH);
        request.addPreferredLocale(Locale.forLanguageTag("fr-CH"));
        return request;
    }

    static DefaultSavedRequest savedRequest() {
        return new DefaultSavedRequest(protectedPageRequest(), "continue");
    }

    static OidcIdToken idToken() throws Exception {
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("iss", new URL("https://id.example"));
        claims.put("sub", "248289761001");
        claims.put("aud", List.of("shop"));
        claims.put("iat", ISSUED);
        claims.put("exp", EXPIRES);
        claims.put("nonce", "n-0S6_WzA2Mj");
        return new OidcIdToken("eyJhbGciOiJSUzI1NiJ9.e30.sig", ISSUED, EXPIRES, claims);
    }

    static OidcUserInfo userInfo() {
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("sub", "248289761001");
        claims.put("name", "Jane Doe");
        claims.put("email_verified", true);
        claims.put("address", Map.of("country", "CH"));
        claims.put("updated_at", ISSUED);
        return new OidcUserInfo(claims);
    }

    static URL url(String text) throws Exception {
        return URI.create(text).toURL();
    }
}
