package dev.cloakroom.demo;

import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;

/**
 * Outermost filter: puts {@link Pages#securityHeaders} on every response of the context, including those written by
 * filters further in (CloakroomFilter's 503 when the store is down), which reset the response first; hence the
 * headers are applied again after every {@code reset()}.
 */
final class SecurityHeadersFilter implements Filter {

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain) throws IOException, ServletException {
        HttpServletResponse http = (HttpServletResponse) response;
        Pages.securityHeaders(http::setHeader);
        chain.doFilter(request, new HttpServletResponseWrapper(http) {
            @Override
            public void reset() {
                super.reset();
                Pages.securityHeaders(this::setHeader);
            }
        });
    }
}
