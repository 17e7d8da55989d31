package dev.cloakroom.spring;

import dev.cloakroom.SessionCodec;
import dev.cloakroom.UnsupportedAttributeException;
import dev.cloakroom.ValueConverter;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.authentication.OAuth2AuthenticationToken;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2RefreshToken;
import org.springframework.security.oauth2.core.endpoint.OAuth2AuthorizationRequest;
import org.springframework.security.oauth2.core.oidc.OidcIdToken;
import org.springframework.security.oauth2.core.oidc.OidcUserInfo;
import org.springframework.security.oauth2.core.oidc.user.DefaultOidcUser;
import org.springframework.security.oauth2.core.oidc.user.OidcUserAuthority;
import org.springframework.security.oauth2.core.user.DefaultOAuth2User;
import org.springframework.security.oauth2.core.user.OAuth2User;
import org.springframework.security.oauth2.core.user.OAuth2UserAuthority;

/**
 * Spring Security OAuth2 client: the login token with its OIDC or plain OAuth2 user, their authorities, the
 * authorization request kept during the redirect to the provider, authorized clients, and the login's exception.
 *
 * <p>An authorized client is stored with its registration id only, never with its {@link ClientRegistration}: that
 * holds the client secret, which must not be copied into every session, and a registration rebuilt from old data would
 * miss a rotated secret or changed endpoints. On read the registration is looked up in the application's
 * registrations; a client whose registration is gone is dropped (the application asks the user to authorize again).
 */
final class OAuth2Converters {
    private OAuth2Converters() {
    }

    /** @param registrations the application's client registrations by id, or null when they were not given */
    static void install(SessionCodec.Builder codec, Function<String, ClientRegistration> registrations) {
        codec.convert("spring.oauth2-authentication", OAuth2AuthenticationToken.class, ValueConverter.of(
                token -> {
                    Map<String, Object> data = SecurityConverters.tokenData(token);
                    data.put("authorizedClientRegistrationId", token.getAuthorizedClientRegistrationId());
                    return data;
                },
                data -> {
                    Map<String, Object> fields = Data.map(data);
                    return SecurityConverters.withCommonFields(new OAuth2AuthenticationToken((OAuth2User) fields.get("principal"),
                            SecurityConverters.authorities(fields), Data.requiredString(fields, "authorizedClientRegistrationId")), fields);
                }));
        codec.convert("spring.oidc-user", DefaultOidcUser.class, ValueConverter.of(
                user -> {
                    Map<String, Object> data = Data.fields();
                    data.put("authorities", new ArrayList<>(user.getAuthorities()));
                    data.put("idToken", user.getIdToken());
                    data.put("userInfo", user.getUserInfo());
                    data.put("nameAttributeKey", nameAttributeKey(user, "sub"));
                    return data;
                },
                data -> {
                    Map<String, Object> fields = Data.map(data);
                    return new DefaultOidcUser(SecurityConverters.authorities(fields), (OidcIdToken) fields.get("idToken"),
                            (OidcUserInfo) fields.get("userInfo"), Data.requiredString(fields, "nameAttributeKey"));
                }));
        codec.convert("spring.oauth2-user", DefaultOAuth2User.class, ValueConverter.of(
                user -> {
                    Map<String, Object> data = Data.fields();
                    data.put("authorities", new ArrayList<>(user.getAuthorities()));
                    data.put("attributes", claimsData(user.getAttributes()));
                    data.put("nameAttributeKey", nameAttributeKey(user, null));
                    return data;
                },
                data -> {
                    Map<String, Object> fields = Data.map(data);
                    return new DefaultOAuth2User(SecurityConverters.authorities(fields), claims(fields.get("attributes")),
                            Data.requiredString(fields, "nameAttributeKey"));
                }));
        codec.convert("spring.oidc-id-token", OidcIdToken.class, ValueConverter.of(
                token -> {
                    Map<String, Object> data = Data.fields();
                    data.put("tokenValue", token.getTokenValue());
                    data.put("issuedAt", Data.instant(token.getIssuedAt()));
                    data.put("expiresAt", Data.instant(token.getExpiresAt()));
                    data.put("claims", claimsData(token.getClaims()));
                    return data;
                },
                data -> {
                    Map<String, Object> fields = Data.map(data);
                    return new OidcIdToken(Data.requiredString(fields, "tokenValue"), Data.instant(fields, "issuedAt"),
                            Data.instant(fields, "expiresAt"), claims(fields.get("claims")));
                }));
        codec.convert("spring.oidc-user-info", OidcUserInfo.class, ValueConverter.of(
                info -> claimsData(info.getClaims()), data -> new OidcUserInfo(claims(data))));
        codec.convert("spring.oauth2-user-authority", OAuth2UserAuthority.class, ValueConverter.of(
                authority -> {
                    Map<String, Object> data = Data.fields();
                    data.put("authority", authority.getAuthority());
                    data.put("attributes", claimsData(authority.getAttributes()));
                    data.put("userNameAttributeName", authority.getUserNameAttributeName());
                    return data;
                },
                data -> {
                    Map<String, Object> fields = Data.map(data);
                    return new OAuth2UserAuthority(Data.requiredString(fields, "authority"), claims(fields.get("attributes")),
                            Data.string(fields, "userNameAttributeName"));
                }));
        codec.convert("spring.oidc-user-authority", OidcUserAuthority.class, ValueConverter.of(
                authority -> {
                    Map<String, Object> data = Data.fields();
                    data.put("authority", authority.getAuthority());
                    data.put("idToken", authority.getIdToken());
                    data.put("userInfo", authority.getUserInfo());
                    data.put("userNameAttributeName", authority.getUserNameAttributeName());
                    return data;
                },
                data -> {
                    Map<String, Object> fields = Data.map(data);
                    return new OidcUserAuthority(Data.requiredString(fields, "authority"), (OidcIdToken) fields.get("idToken"),
                            (OidcUserInfo) fields.get("userInfo"), Data.string(fields, "userNameAttributeName"));
                }));
        codec.convert("spring.oauth2-authorization-request", OAuth2AuthorizationRequest.class, ValueConverter.of(
                OAuth2Converters::authorizationRequestData, OAuth2Converters::authorizationRequest));
        codec.convert("spring.oauth2-authorized-client", OAuth2AuthorizedClient.class, ValueConverter.of(
                client -> authorizedClientData(client, registrations),
                data -> authorizedClient(data, registrations)));
        codec.convert("spring.oauth2-authentication-exception", OAuth2AuthenticationException.class, ValueConverter.of(
                exception -> {
                    Map<String, Object> data = Data.fields();
                    data.put("errorCode", exception.getError().getErrorCode());
                    data.put("description", exception.getError().getDescription());
                    data.put("uri", exception.getError().getUri());
                    data.put("message", exception.getMessage());
                    return data;
                },
                data -> {
                    Map<String, Object> fields = Data.map(data);
                    OAuth2Error error = new OAuth2Error(Data.requiredString(fields, "errorCode"), Data.string(fields, "description"),
                            Data.string(fields, "uri"));
                    return new OAuth2AuthenticationException(error, Data.string(fields, "message"));
                }));
    }

    private static Object authorizationRequestData(OAuth2AuthorizationRequest request) {
        if (!"code".equals(request.getResponseType().getValue())) {
            throw new UnsupportedAttributeException("only authorization-code requests are stored, not response type "
                    + request.getResponseType().getValue());
        }
        Map<String, Object> data = Data.fields();
        data.put("authorizationUri", request.getAuthorizationUri());
        data.put("clientId", request.getClientId());
        data.put("redirectUri", request.getRedirectUri());
        data.put("scopes", new ArrayList<>(request.getScopes()));
        data.put("state", request.getState());
        data.put("additionalParameters", new LinkedHashMap<>(request.getAdditionalParameters()));
        data.put("attributes", new LinkedHashMap<>(request.getAttributes()));
        data.put("authorizationRequestUri", request.getAuthorizationRequestUri());
        return data;
    }

    private static OAuth2AuthorizationRequest authorizationRequest(Object data) {
        Map<String, Object> fields = Data.map(data);
        return OAuth2AuthorizationRequest.authorizationCode()
                .authorizationUri(Data.requiredString(fields, "authorizationUri"))
                .clientId(Data.requiredString(fields, "clientId"))
                .redirectUri(Data.string(fields, "redirectUri"))
                .scopes(new LinkedHashSet<>(Data.list(fields, "scopes", String.class)))
                .state(Data.string(fields, "state"))
                .additionalParameters(Data.map(fields, "additionalParameters"))
                .attributes(Data.map(fields, "attributes"))
                .authorizationRequestUri(Data.requiredString(fields, "authorizationRequestUri"))
                .build();
    }

    private static Object authorizedClientData(OAuth2AuthorizedClient client, Function<String, ClientRegistration> registrations) {
        if (registrations == null) {
            throw new UnsupportedAttributeException("an OAuth2AuthorizedClient is stored by its registration id, and read back"
                    + " through the application's client registrations, which the session codec was not given: build it with"
                    + " SessionCodec.builder().install(SpringCodecModule.withClientRegistrations(clientRegistrationRepository))");
        }
        Map<String, Object> data = Data.fields();
        data.put("registrationId", client.getClientRegistration().getRegistrationId());
        data.put("principalName", client.getPrincipalName());
        OAuth2AccessToken access = client.getAccessToken();
        Map<String, Object> accessToken = Data.fields();
        accessToken.put("tokenType", access.getTokenType().getValue());
        accessToken.put("tokenValue", access.getTokenValue());
        accessToken.put("issuedAt", Data.instant(access.getIssuedAt()));
        accessToken.put("expiresAt", Data.instant(access.getExpiresAt()));
        accessToken.put("scopes", new ArrayList<>(access.getScopes()));
        data.put("accessToken", accessToken);
        OAuth2RefreshToken refresh = client.getRefreshToken();
        if (refresh != null) {
            Map<String, Object> refreshToken = Data.fields();
            refreshToken.put("tokenValue", refresh.getTokenValue());
            refreshToken.put("issuedAt", Data.instant(refresh.getIssuedAt()));
            refreshToken.put("expiresAt", Data.instant(refresh.getExpiresAt()));
            data.put("refreshToken", refreshToken);
        }
        return data;
    }

    private static OAuth2AuthorizedClient authorizedClient(Object data, Function<String, ClientRegistration> registrations) {
        Map<String, Object> fields = Data.map(data);
        String registrationId = Data.requiredString(fields, "registrationId");
        if (registrations == null) {
            throw new IllegalStateException("the session codec was not given the client registrations");
        }
        ClientRegistration registration = registrations.apply(registrationId);
        if (registration == null) {
            throw new IllegalArgumentException("no client registration '" + registrationId + "' any more");
        }
        Map<String, Object> access = Data.map(fields, "accessToken");
        OAuth2AccessToken accessToken = new OAuth2AccessToken(new OAuth2AccessToken.TokenType(Data.requiredString(access, "tokenType")),
                Data.requiredString(access, "tokenValue"), Data.instant(access, "issuedAt"), Data.instant(access, "expiresAt"),
                new LinkedHashSet<>(Data.list(access, "scopes", String.class)));
        Map<String, Object> refresh = Data.map(fields, "refreshToken");
        OAuth2RefreshToken refreshToken = refresh == null ? null : new OAuth2RefreshToken(Data.requiredString(refresh, "tokenValue"),
                Data.instant(refresh, "issuedAt"), Data.instant(refresh, "expiresAt"));
        return new OAuth2AuthorizedClient(registration, Data.requiredString(fields, "principalName"), accessToken, refreshToken);
    }

    /**
     * The attribute that names the user. {@link DefaultOAuth2User} has no getter for it, but {@code getName()} is that
     * attribute's value: the preferred key, the one an authority names, or else the first attribute holding the name.
     */
    private static String nameAttributeKey(OAuth2User user, String preferred) {
        String name = user.getName();
        Map<String, Object> attributes = user.getAttributes();
        List<String> candidates = new ArrayList<>();
        if (preferred != null) {
            candidates.add(preferred);
        }
        for (GrantedAuthority authority : user.getAuthorities()) {
            if (authority instanceof OAuth2UserAuthority oauth2 && oauth2.getUserNameAttributeName() != null) {
                candidates.add(oauth2.getUserNameAttributeName());
            }
        }
        candidates.addAll(attributes.keySet());
        return candidates.stream()
                .filter(key -> attributes.get(key) != null && name.equals(attributes.get(key).toString()))
                .findFirst()
                .orElseThrow(() -> new UnsupportedAttributeException("no attribute of the OAuth2 user holds its name"));
    }

    /**
     * Claims as plain data. Spring's claim converters turn time claims into {@link Instant}s and {@code iss} into a
     * {@link URL}; those are written as text, and their names listed, so that they come back as the same types.
     */
    static Map<String, Object> claimsData(Map<String, Object> claims) {
        Map<String, Object> values = Data.fields();
        List<String> instants = new ArrayList<>();
        List<String> urls = new ArrayList<>();
        claims.forEach((name, value) -> {
            if (value instanceof Instant instant) {
                instants.add(name);
                values.put(name, instant.toString());
            } else if (value instanceof URL url) {
                urls.add(name);
                values.put(name, url.toExternalForm());
            } else {
                values.put(name, value);
            }
        });
        Map<String, Object> data = Data.fields();
        data.put("values", values);
        data.put("instants", instants);
        data.put("urls", urls);
        return data;
    }

    static Map<String, Object> claims(Object data) {
        Map<String, Object> fields = Data.map(data);
        Map<String, Object> claims = new LinkedHashMap<>(Data.map(fields, "values"));
        for (String name : Data.list(fields, "instants", String.class)) {
            claims.put(name, Instant.parse(Data.requiredString(claims, name)));
        }
        for (String name : Data.list(fields, "urls", String.class)) {
            try {
                claims.put(name, URI.create(Data.requiredString(claims, name)).toURL());
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException("claim '" + name + "' is not a URL", e);
            }
        }
        return claims;
    }
}
