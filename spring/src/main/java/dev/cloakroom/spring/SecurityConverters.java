package dev.cloakroom.spring;

import dev.cloakroom.SessionCodec;
import dev.cloakroom.ValueConverter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.springframework.security.authentication.AbstractAuthenticationToken;
import org.springframework.security.authentication.AccountExpiredException;
import org.springframework.security.authentication.AnonymousAuthenticationToken;
import org.springframework.security.authentication.AuthenticationCredentialsNotFoundException;
import org.springframework.security.authentication.AuthenticationServiceException;
import org.springframework.security.authentication.BadCredentialsException;
import org.springframework.security.authentication.CredentialsExpiredException;
import org.springframework.security.authentication.DisabledException;
import org.springframework.security.authentication.InsufficientAuthenticationException;
import org.springframework.security.authentication.InternalAuthenticationServiceException;
import org.springframework.security.authentication.LockedException;
import org.springframework.security.authentication.ProviderNotFoundException;
import org.springframework.security.authentication.RememberMeAuthenticationToken;
import org.springframework.security.authentication.UsernamePasswordAuthenticationToken;
import org.springframework.security.authentication.ott.InvalidOneTimeTokenException;
import org.springframework.security.authentication.password.CompromisedPasswordException;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.FactorGrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.core.context.SecurityContextImpl;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UsernameNotFoundException;

/**
 * Spring Security core: the security context, its common authentication tokens, users, authorities, and the
 * authentication exceptions a failed login leaves in the session. No credential is ever written: tokens are stored
 * without {@code getCredentials()}, users without their password, exceptions without the authentication request
 * (which holds the password typed) and without their cause.
 */
final class SecurityConverters {
    private SecurityConverters() {
    }

    static void install(SessionCodec.Builder codec) {
        codec.convert("spring.security-context", SecurityContextImpl.class, ValueConverter.of(
                context -> {
                    Map<String, Object> data = Data.fields();
                    data.put("authentication", context.getAuthentication());
                    return data;
                },
                data -> new SecurityContextImpl((Authentication) Data.map(data).get("authentication"))));
        codec.convert("spring.username-password-authentication", UsernamePasswordAuthenticationToken.class, ValueConverter.of(
                SecurityConverters::tokenData,
                data -> {
                    Map<String, Object> fields = Data.map(data);
                    return withCommonFields(UsernamePasswordAuthenticationToken.authenticated(
                            fields.get("principal"), null, authorities(fields)), fields);
                }));
        keyedToken(codec, "spring.remember-me-authentication", RememberMeAuthenticationToken.class,
                RememberMeAuthenticationToken::getKeyHash, RememberMeAuthenticationToken::new);
        keyedToken(codec, "spring.anonymous-authentication", AnonymousAuthenticationToken.class,
                AnonymousAuthenticationToken::getKeyHash, AnonymousAuthenticationToken::new);
        codec.convert("spring.user", User.class, ValueConverter.of(
                user -> {
                    Map<String, Object> data = Data.fields();
                    data.put("username", user.getUsername());
                    data.put("enabled", user.isEnabled());
                    data.put("accountNonExpired", user.isAccountNonExpired());
                    data.put("credentialsNonExpired", user.isCredentialsNonExpired());
                    data.put("accountNonLocked", user.isAccountNonLocked());
                    data.put("authorities", new ArrayList<>(user.getAuthorities()));
                    return data;
                },
                data -> {
                    Map<String, Object> fields = Data.map(data);
                    // User refuses a null password, and the password is not stored: build with an empty one, then erase it
                    User user = new User(Data.requiredString(fields, "username"), "", Data.bool(fields, "enabled"),
                            Data.bool(fields, "accountNonExpired"), Data.bool(fields, "credentialsNonExpired"),
                            Data.bool(fields, "accountNonLocked"), authorities(fields));
                    user.eraseCredentials();
                    return user;
                }));
        codec.convert("spring.authority", SimpleGrantedAuthority.class, ValueConverter.of(
                SimpleGrantedAuthority::getAuthority, data -> new SimpleGrantedAuthority((String) data)));
        codec.convert("spring.factor-authority", FactorGrantedAuthority.class, ValueConverter.of(
                authority -> {
                    Map<String, Object> data = Data.fields();
                    data.put("authority", authority.getAuthority());
                    data.put("issuedAt", Data.instant(authority.getIssuedAt()));
                    return data;
                },
                data -> {
                    Map<String, Object> fields = Data.map(data);
                    return FactorGrantedAuthority.withAuthority(Data.requiredString(fields, "authority"))
                            .issuedAt(Data.instant(fields, "issuedAt")).build();
                }));
        exception(codec, BadCredentialsException.class, BadCredentialsException::new);
        exception(codec, UsernameNotFoundException.class, UsernameNotFoundException::new);
        exception(codec, LockedException.class, LockedException::new);
        exception(codec, DisabledException.class, DisabledException::new);
        exception(codec, AccountExpiredException.class, AccountExpiredException::new);
        exception(codec, CredentialsExpiredException.class, CredentialsExpiredException::new);
        exception(codec, CompromisedPasswordException.class, CompromisedPasswordException::new);
        exception(codec, InsufficientAuthenticationException.class, InsufficientAuthenticationException::new);
        exception(codec, AuthenticationServiceException.class, AuthenticationServiceException::new);
        exception(codec, InternalAuthenticationServiceException.class, InternalAuthenticationServiceException::new);
        exception(codec, ProviderNotFoundException.class, ProviderNotFoundException::new);
        exception(codec, AuthenticationCredentialsNotFoundException.class, AuthenticationCredentialsNotFoundException::new);
        exception(codec, InvalidOneTimeTokenException.class, InvalidOneTimeTokenException::new);
    }

    /**
     * An authentication exception kept for the login page to show: its message only, rebuilt as the same class. Stored
     * under {@code spring.} and the class's simple name in kebab case, e.g. {@code spring.bad-credentials-exception}.
     */
    static <E extends AuthenticationException> void exception(SessionCodec.Builder codec, Class<E> type, Function<String, E> create) {
        String name = "spring." + type.getSimpleName().replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
        codec.convert(name, type, ValueConverter.of(Throwable::getMessage, data -> create.apply((String) data)));
    }

    /** How a token built from a key is rebuilt: from the key's hash, since the key itself is never stored. */
    @FunctionalInterface
    interface KeyedTokenFactory<T> {
        T create(String key, Object principal, List<GrantedAuthority> authorities);
    }

    /** Remember-me and anonymous tokens: the common fields plus the key's hash, rebuilt with a key of that hash. */
    private static <T extends AbstractAuthenticationToken> void keyedToken(SessionCodec.Builder codec, String name, Class<T> type,
                                                                           Function<T, Integer> keyHash, KeyedTokenFactory<T> factory) {
        codec.convert(name, type, ValueConverter.of(
                token -> {
                    Map<String, Object> data = tokenData(token);
                    data.put("keyHash", keyHash.apply(token));
                    return data;
                },
                data -> {
                    Map<String, Object> fields = Data.map(data);
                    return withCommonFields(factory.create(Data.keyWithHash((int) Data.number(fields, "keyHash")),
                            fields.get("principal"), authorities(fields)), fields);
                }));
    }

    /** The fields every token shares; never the credentials. */
    static Map<String, Object> tokenData(AbstractAuthenticationToken token) {
        Map<String, Object> data = Data.fields();
        data.put("principal", token.getPrincipal());
        data.put("authorities", new ArrayList<>(token.getAuthorities()));
        data.put("details", token.getDetails());
        data.put("authenticated", token.isAuthenticated());
        return data;
    }

    static <T extends AbstractAuthenticationToken> T withCommonFields(T token, Map<String, Object> fields) {
        token.setDetails(fields.get("details"));
        if (!Data.bool(fields, "authenticated")) {
            token.setAuthenticated(false);
        }
        return token;
    }

    static List<GrantedAuthority> authorities(Map<String, Object> fields) {
        return Data.list(fields, "authorities", GrantedAuthority.class);
    }
}
