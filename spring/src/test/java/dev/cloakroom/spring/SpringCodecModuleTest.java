package dev.cloakroom.spring;

import static dev.cloakroom.spring.SpringObjects.EXPIRES;
import static dev.cloakroom.spring.SpringObjects.ISSUED;
import static dev.cloakroom.spring.SpringObjects.PASSWORD;
import static dev.cloakroom.spring.SpringObjects.RAW_SESSION_ID;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloakroom.SessionCodec;
import dev.cloakroom.UnsupportedAttributeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.LockedException;
import org.springframework.security.authentication.RememberMeAuthenticationToken;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.core.authority.FactorGrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextImpl;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.oauth2.client.OAuth2AuthorizedClient;
import org.springframework.security.oauth2.client.authentication.OAuth2AuthenticationToken;
import org.springframework.security.oauth2.client.registration.ClientRegistration;
import org.springframework.security.oauth2.client.registration.InMemoryClientRegistrationRepository;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.OAuth2AccessToken;
import org.springframework.security.oauth2.core.OAuth2AuthenticationException;
import org.springframework.security.oauth2.core.OAuth2Error;
import org.springframework.security.oauth2.core.OAuth2RefreshToken;
import org.springframework.security.oauth2.core.endpoint.OAuth2AuthorizationRequest;
import org.springframework.security.oauth2.core.oidc.user.DefaultOidcUser;
import org.springframework.security.oauth2.core.oidc.user.OidcUserAuthority;
import org.springframework.security.oauth2.core.user.DefaultOAuth2User;
import org.springframework.security.oauth2.core.user.OAuth2UserAuthority;
import org.springframework.security.web.authentication.WebAuthenticationDetails;
import org.springframework.security.web.csrf.DefaultCsrfToken;
import org.springframework.security.web.csrf.HttpSessionCsrfTokenRepository;
import org.springframework.security.web.savedrequest.DefaultSavedRequest;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.web.servlet.FlashMap;

/** Each object Spring keeps in the session, through the codec that the jar's presence alone configures. */
@Tag("unit")
class SpringCodecModuleTest {
    private final SessionCodec codec = SessionCodec.builder().build();

    /** Encodes, checks that no secret is in the text, decodes. */
    private Object roundTrip(Object value, String... secrets) {
        String json = codec.encode(value);
        assertThat(json).doesNotContain(PASSWORD).doesNotContain(RAW_SESSION_ID).doesNotContain(value.getClass().getName());
        for (String secret : secrets) {
            assertThat(json).doesNotContain(secret);
        }
        return codec.decode(json);
    }

    @Test
    void encodeWhenSecurityContextOfAFormLoginThenRoundTripsWithoutPasswordOrRawSessionId() {
        SecurityContextImpl context = SpringObjects.formLogin();

        SecurityContextImpl back = (SecurityContextImpl) roundTrip(context);

        UsernamePasswordAuthenticationToken token = (UsernamePasswordAuthenticationToken) back.getAuthentication();
        User original = (User) context.getAuthentication().getPrincipal();
        User user = (User) token.getPrincipal();
        assertThat(user.getUsername()).isEqualTo("alice");
        assertThat(user.getPassword()).isNull();
        assertThat(user.getAuthorities()).containsExactlyElementsOf(original.getAuthorities());
        assertThat(user.isEnabled()).isTrue();
        assertThat(user.isAccountNonLocked()).isFalse();
        assertThat(token.getCredentials()).isNull();
        assertThat(token.isAuthenticated()).isTrue();
        assertThat(token.getAuthorities()).containsExactlyElementsOf(context.getAuthentication().getAuthorities());
        assertThat(((FactorGrantedAuthority) new ArrayList<>(token.getAuthorities()).get(1)).getIssuedAt()).isEqualTo(ISSUED);
        WebAuthenticationDetails details = (WebAuthenticationDetails) token.getDetails();
        assertThat(details.getRemoteAddress()).isEqualTo("203.0.113.7");
        assertThat(details.getSessionId()).isNull();
    }

    @Test
    void encodeWhenUnauthenticatedTokenWithAStringPrincipalThenItStaysUnauthenticated() {
        UsernamePasswordAuthenticationToken token = UsernamePasswordAuthenticationToken.unauthenticated("bob", PASSWORD);

        UsernamePasswordAuthenticationToken back = (UsernamePasswordAuthenticationToken) roundTrip(token);

        assertThat(back.getPrincipal()).isEqualTo("bob");
        assertThat(back.isAuthenticated()).isFalse();
        assertThat(back.getCredentials()).isNull();
    }

    @Test
    void encodeWhenRememberMeOrAnonymousTokenThenRoundTripsEqualWithoutItsKey() {
        RememberMeAuthenticationToken rememberMe = new RememberMeAuthenticationToken("remember-key-42",
                new User("carol", PASSWORD, List.of(new SimpleGrantedAuthority("ROLE_USER"))), List.of(new SimpleGrantedAuthority("ROLE_USER")));
        rememberMe.eraseCredentials();
        AnonymousAuthenticationToken anonymous = new AnonymousAuthenticationToken("anonymous-key-42", "anonymousUser",
                List.of(new SimpleGrantedAuthority("ROLE_ANONYMOUS")));

        RememberMeAuthenticationToken rememberMeBack = (RememberMeAuthenticationToken) roundTrip(rememberMe, "remember-key-42");
        AnonymousAuthenticationToken anonymousBack = (AnonymousAuthenticationToken) roundTrip(anonymous, "anonymous-key-42");

        assertThat(rememberMeBack).isEqualTo(rememberMe);
        assertThat(rememberMeBack.getKeyHash()).isEqualTo("remember-key-42".hashCode());
        assertThat(anonymousBack).isEqualTo(anonymous);
        assertThat(anonymousBack.getKeyHash()).isEqualTo("anonymous-key-42".hashCode());
    }

    @Test
    void keyWithHashWhenAnyIntThenTheHashIsKept() {
        for (int hash : new int[] {0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, "x".hashCode(), 123_456_789}) {
            assertThat(Data.keyWithHash(hash).hashCode()).isEqualTo(hash);
        }
    }

    @Test
    void encodeWhenCsrfTokenAsTheSessionRepositoryStoresItThenRoundTrips() {
        DefaultCsrfToken token = (DefaultCsrfToken) new HttpSessionCsrfTokenRepository().generateToken(null);

        DefaultCsrfToken back = (DefaultCsrfToken) roundTrip(token);

        assertThat(back.getToken()).isEqualTo(token.getToken());
        assertThat(back.getHeaderName()).isEqualTo("X-CSRF-TOKEN");
        assertThat(back.getParameterName()).isEqualTo("_csrf");
    }

    @Test
    void encodeWhenSavedRequestThenRoundTripsWithoutCookiesOrAuthorizationHeaders() {
        DefaultSavedRequest saved = SpringObjects.savedRequest();

        DefaultSavedRequest back = (DefaultSavedRequest) roundTrip(saved);

        assertThat(back.getRedirectUrl()).isEqualTo(saved.getRedirectUrl()).isEqualTo("https://shop.example:8443/app/account/orders?page=2&sort=date&continue");
        assertThat(back.getMethod()).isEqualTo("GET");
        assertThat(back.getRequestURL()).isEqualTo(saved.getRequestURL());
        assertThat(back.getRequestURI()).isEqualTo("/app/account/orders");
        assertThat(back.getContextPath()).isEqualTo("/app");
        assertThat(back.getServletPath()).isEqualTo("/account");
        assertThat(back.getPathInfo()).isEqualTo("/orders");
        assertThat(back.getQueryString()).isEqualTo("page=2&sort=date");
        assertThat(back.getScheme()).isEqualTo("https");
        assertThat(back.getServerName()).isEqualTo("shop.example");
        assertThat(back.getServerPort()).isEqualTo(8443);
        assertThat(back.getParameterValues("sort")).containsExactly("date", "total");
        assertThat(back.getParameterMap()).containsOnlyKeys("page", "sort");
        assertThat(back.getHeaderValues("accept")).containsExactly("text/html");
        assertThat(back.getHeaderValues("Accept-Language")).isNotEmpty().isEqualTo(saved.getHeaderValues("Accept-Language"));
        assertThat(back.getHeaderNames()).doesNotContain("Cookie", "Authorization");
        assertThat(saved.getHeaderNames()).contains("Cookie", "Authorization");
        assertThat(back.getLocales()).containsExactlyElementsOf(saved.getLocales()).contains(Locale.forLanguageTag("fr-CH"));
        assertThat(back.getCookies()).isEmpty();
    }

    @Test
    void encodeWhenSavedRequestHasNoQueryOrMatchingParameterThenItsRedirectUrlIsKept() {
        var request = SpringObjects.protectedPageRequest();
        request.setQueryString(null);

        for (DefaultSavedRequest saved : List.of(new DefaultSavedRequest(request), new DefaultSavedRequest(request, "continue"))) {
            assertThat(((DefaultSavedRequest) roundTrip(saved)).getRedirectUrl()).isEqualTo(saved.getRedirectUrl());
        }
    }

    @Test
    void encodeWhenAuthenticationExceptionThenComesBackAsItsClassWithItsMessageOnly() {
        BadCredentialsException bad = new BadCredentialsException("Bad credentials");
        bad.setAuthenticationRequest(UsernamePasswordAuthenticationToken.unauthenticated("alice", PASSWORD));
        LockedException locked = new LockedException("User account is locked", new IllegalStateException("cause " + PASSWORD));

        assertThat((Throwable) roundTrip(bad)).isExactlyInstanceOf(BadCredentialsException.class).hasMessage("Bad credentials");
        assertThat((Throwable) roundTrip(locked)).isExactlyInstanceOf(LockedException.class).hasMessage("User account is locked").hasNoCause();
        OAuth2AuthenticationException oauth2 = new OAuth2AuthenticationException(
                new OAuth2Error("invalid_user_info_response", "no user info", "https://id.example/err"), "[invalid_user_info_response] no user info");
        OAuth2AuthenticationException back = (OAuth2AuthenticationException) roundTrip(oauth2);
        assertThat(back).hasMessage(oauth2.getMessage());
        assertThat(back.getError().getErrorCode()).isEqualTo("invalid_user_info_response");
        assertThat(back.getError().getDescription()).isEqualTo("no user info");
        assertThat(back.getError().getUri()).isEqualTo("https://id.example/err");
    }

    @Test
    void encodeWhenTheAppsOwnAuthenticationTypeThenRefusedWithTheLineThatRegistersIt() {
        class TeamAuthentication extends UsernamePasswordAuthenticationToken {
            TeamAuthentication() {
                super("dave", null, List.of());
            }
        }

        assertThatThrownBy(() -> codec.encode(new SecurityContextImpl(new TeamAuthentication())))
                .isInstanceOf(UnsupportedAttributeException.class)
                .hasMessageContaining(".convert(\"team-authentication\", ")
                .hasMessageContaining("[inside 'spring.security-context']")
                .hasMessageContaining(UsernamePasswordAuthenticationToken.class.getName() + " has one, but names match the exact class");
    }

    @Test
    void encodeWhenOidcLoginThenRoundTripsEqualWithClaimTypesKept() throws Exception {
        DefaultOidcUser user = new DefaultOidcUser(
                List.of(new OidcUserAuthority(SpringObjects.idToken(), SpringObjects.userInfo()), new SimpleGrantedAuthority("SCOPE_openid")),
                SpringObjects.idToken(), SpringObjects.userInfo(), "sub");
        OAuth2AuthenticationToken token = new OAuth2AuthenticationToken(user, user.getAuthorities(), "id-example");
        token.setDetails(new WebAuthenticationDetails("198.51.100.2", RAW_SESSION_ID));

        OAuth2AuthenticationToken back = (OAuth2AuthenticationToken) ((SecurityContextImpl) roundTrip(new SecurityContextImpl(token))).getAuthentication();

        DefaultOidcUser userBack = (DefaultOidcUser) back.getPrincipal();
        assertThat(userBack).isEqualTo(user);
        assertThat(userBack.getName()).isEqualTo("248289761001");
        assertThat(userBack.getIdToken().getClaims()).isEqualTo(user.getIdToken().getClaims());
        assertThat(userBack.getIdToken().getIssuer()).isEqualTo(SpringObjects.url("https://id.example"));
        assertThat(userBack.getIdToken().getExpiresAt()).isEqualTo(EXPIRES);
        assertThat(userBack.getIdToken().getTokenValue()).isEqualTo(user.getIdToken().getTokenValue());
        assertThat(userBack.getUserInfo().getClaims()).isEqualTo(user.getUserInfo().getClaims());
        assertThat(userBack.getUserInfo().getUpdatedAt()).isEqualTo(ISSUED);
        assertThat(back.getAuthorities()).containsExactlyElementsOf(token.getAuthorities());
        assertThat(back.getAuthorizedClientRegistrationId()).isEqualTo("id-example");
        assertThat(((WebAuthenticationDetails) back.getDetails()).getRemoteAddress()).isEqualTo("198.51.100.2");
        assertThat(back.isAuthenticated()).isTrue();
    }

    @Test
    void encodeWhenOAuth2LoginWithAPlainUserThenRoundTripsEqualWithItsNameAttribute() {
        Map<String, Object> attributes = Map.of("login", "octocat", "id", 583231, "site_admin", false);
        DefaultOAuth2User user = new DefaultOAuth2User(List.of(new OAuth2UserAuthority("OAUTH2_USER", attributes, "login")), attributes, "login");
        OAuth2AuthenticationToken token = new OAuth2AuthenticationToken(user, user.getAuthorities(), "github");

        OAuth2AuthenticationToken back = (OAuth2AuthenticationToken) roundTrip(token);

        assertThat(back.getPrincipal()).isEqualTo(user);
        assertThat(back.getName()).isEqualTo("octocat");
        assertThat(((OAuth2UserAuthority) back.getAuthorities().iterator().next()).getUserNameAttributeName()).isEqualTo("login");
        assertThat(back).isEqualTo(token);
    }

    @Test
    void encodeWhenAuthorizationRequestThenRoundTripsEqual() {
        OAuth2AuthorizationRequest request = OAuth2AuthorizationRequest.authorizationCode()
                .authorizationUri("https://id.example/authorize")
                .clientId("shop")
                .redirectUri("https://shop.example/login/oauth2/code/id-example")
                .scopes(Set.of("openid", "profile"))
                .state("state-xyz")
                .additionalParameters(Map.of("nonce", "hashed-nonce", "code_challenge", "challenge", "code_challenge_method", "S256"))
                .attributes(Map.of("registration_id", "id-example", "nonce", "n-raw", "code_verifier", "verifier"))
                .build();

        OAuth2AuthorizationRequest back = (OAuth2AuthorizationRequest) roundTrip(request);

        assertThat(back).isEqualTo(request);
        assertThat(back.getAuthorizationRequestUri()).isEqualTo(request.getAuthorizationRequestUri());
        assertThat(back.getAttributes()).isEqualTo(request.getAttributes());
        assertThat(back.getGrantType()).isEqualTo(AuthorizationGrantType.AUTHORIZATION_CODE);
    }

    @Test
    void encodeWhenAuthorizedClientThenStoredByRegistrationIdWithoutTheClientSecretAndRebuiltWithTheAppsRegistration() {
        ClientRegistration registration = registration();
        SessionCodec withRegistrations = SessionCodec.builder()
                .install(SpringCodecModule.withClientRegistrations(new InMemoryClientRegistrationRepository(registration)))
                .build();
        OAuth2AuthorizedClient client = new OAuth2AuthorizedClient(registration, "alice",
                new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, "access-123", ISSUED, EXPIRES, Set.of("read")),
                new OAuth2RefreshToken("refresh-456", ISSUED));
        Map<String, Object> attribute = Map.of("id-example", client);

        String json = withRegistrations.encode(attribute);
        @SuppressWarnings("unchecked")
        OAuth2AuthorizedClient back = ((Map<String, OAuth2AuthorizedClient>) withRegistrations.decode(json)).get("id-example");

        assertThat(json).doesNotContain(registration.getClientSecret()).doesNotContain("https://id.example/token");
        assertThat(back.getClientRegistration()).isSameAs(registration);
        assertThat(back.getPrincipalName()).isEqualTo("alice");
        assertThat(back.getAccessToken()).isEqualTo(client.getAccessToken());
        assertThat(back.getAccessToken().getTokenType()).isEqualTo(OAuth2AccessToken.TokenType.BEARER);
        assertThat(back.getAccessToken().getScopes()).containsExactly("read");
        assertThat(back.getRefreshToken()).isEqualTo(client.getRefreshToken());
    }

    @Test
    void encodeWhenAuthorizedClientWithoutTheAppsRegistrationsThenRefusedSayingHowToGiveThem() {
        OAuth2AuthorizedClient client = new OAuth2AuthorizedClient(registration(), "alice",
                new OAuth2AccessToken(OAuth2AccessToken.TokenType.BEARER, "access-123", ISSUED, EXPIRES));

        assertThatThrownBy(() -> codec.encode(client))
                .isInstanceOf(UnsupportedAttributeException.class)
                .hasMessageContaining("SpringCodecModule.withClientRegistrations(clientRegistrationRepository)");
    }

    @Test
    void encodeWhenFlashMapsThenRoundTripEqualWithTargetParamsExpiryAndConvertedValues() {
        FlashMap flash = new FlashMap();
        flash.put("message", "Saved");
        flash.put("count", 3);
        flash.put("role", new SimpleGrantedAuthority("ROLE_EDITOR"));
        flash.setTargetRequestPath("/orders");
        flash.addTargetRequestParams(new LinkedMultiValueMap<>(Map.of("page", List.of("2", "3"))));
        flash.startExpirationPeriod(180);
        List<FlashMap> stored = new ArrayList<>(List.of(flash, new FlashMap()));

        @SuppressWarnings("unchecked")
        List<FlashMap> back = (List<FlashMap>) roundTrip(stored);

        assertThat(back).isEqualTo(stored);
        assertThat(back.get(0).getExpirationTime()).isEqualTo(flash.getExpirationTime());
        assertThat(back.get(0).getTargetRequestParams().get("page")).containsExactly("2", "3");
        assertThat(back.get(1).getExpirationTime()).isEqualTo(-1);
        back.remove(1);
        assertThat(back).hasSize(1);
    }

    @Test
    void encodeWhenAnySpringObjectThenEveryStoredNameIsUnderSpring() {
        String json = codec.encode(List.of(SpringObjects.formLogin(), SpringObjects.savedRequest(), new FlashMap()));

        assertThat(List.of(json.split("\"@type\":\"")).subList(1, json.split("\"@type\":\"").length))
                .isNotEmpty().allSatisfy(rest -> assertThat(rest).startsWith("spring."));
    }

    static ClientRegistration registration() {
        return ClientRegistration.withRegistrationId("id-example")
                .clientId("shop")
                .clientSecret("client-secret-789")
                .authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
                .redirectUri("{baseUrl}/login/oauth2/code/{registrationId}")
                .scope("openid")
                .authorizationUri("https://id.example/authorize")
                .tokenUri("https://id.example/token")
                .build();
    }
}
