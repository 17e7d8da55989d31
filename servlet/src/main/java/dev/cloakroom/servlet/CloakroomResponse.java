package dev.cloakroom.servlet;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Locale;

/**
 * The response the application sees: before anything can commit it (redirect, error, flush, close, reaching the
 * declared length or filling the buffer) the session is saved and its cookie added, so that a browser following a
 * redirect at once already finds the data. Never rewrites URLs with a session id.
 */
final class CloakroomResponse extends HttpServletResponseWrapper {
    /** An upper bound on the bytes one char becomes, to foresee a buffer overflow through the writer. */
    private static final int MAX_BYTES_PER_CHAR = 3;
    private static final MethodHandle SEND_REDIRECT_STATUS = redirectHandle(int.class);
    private static final MethodHandle SEND_REDIRECT_CLEAR = redirectHandle(boolean.class);
    private static final MethodHandle SEND_REDIRECT_STATUS_CLEAR = redirectHandle(int.class, boolean.class);

    private final SessionBinding binding;
    private long contentLength = -1;
    private long written;
    private boolean committedForSize;
    private ServletOutputStream stream;
    private PrintWriter writer;

    CloakroomResponse(HttpServletResponse response, SessionBinding binding) {
        super(response);
        this.binding = binding;
    }

    @Override
    public void sendRedirect(String location) throws IOException {
        binding.commit();
        super.sendRedirect(location);
    }

    /** Servlet 6.1; compiled against 6.0, so it reaches the container through a method handle. */
    public void sendRedirect(String location, int sc) throws IOException {
        binding.commit();
        invoke(SEND_REDIRECT_STATUS, location, sc);
    }

    /** Servlet 6.1. */
    public void sendRedirect(String location, boolean clearBuffer) throws IOException {
        binding.commit();
        invoke(SEND_REDIRECT_CLEAR, location, clearBuffer);
    }

    /** Servlet 6.1. */
    public void sendRedirect(String location, int sc, boolean clearBuffer) throws IOException {
        binding.commit();
        invoke(SEND_REDIRECT_STATUS_CLEAR, location, sc, clearBuffer);
    }

    @Override
    public void sendError(int sc) throws IOException {
        binding.commit();
        super.sendError(sc);
    }

    @Override
    public void sendError(int sc, String msg) throws IOException {
        binding.commit();
        super.sendError(sc, msg);
    }

    @Override
    public void flushBuffer() throws IOException {
        binding.commit();
        super.flushBuffer();
    }

    @Override
    public void reset() {
        super.reset();
        written = 0;
        contentLength = -1;
        committedForSize = false;
        binding.reapplyCookie();
    }

    @Override
    public void resetBuffer() {
        super.resetBuffer();
        written = 0;
        committedForSize = false;
    }

    @Override
    public void setContentLength(int len) {
        super.setContentLength(len);
        declaredLength(len);
    }

    @Override
    public void setContentLengthLong(long len) {
        super.setContentLengthLong(len);
        declaredLength(len);
    }

    @Override
    public void setHeader(String name, String value) {
        super.setHeader(name, value);
        if ("set-cookie".equals(name.toLowerCase(Locale.ROOT))) {
            // setHeader replaced every Set-Cookie line, ours included.
            binding.reapplyCookie();
        }
        lengthHeader(name, value);
    }

    @Override
    public void addHeader(String name, String value) {
        super.addHeader(name, value);
        lengthHeader(name, value);
    }

    @Override
    public void setIntHeader(String name, int value) {
        super.setIntHeader(name, value);
        lengthHeader(name, Integer.toString(value));
    }

    @Override
    public void addIntHeader(String name, int value) {
        super.addIntHeader(name, value);
        lengthHeader(name, Integer.toString(value));
    }

    @Override
    public String encodeURL(String url) {
        return url;
    }

    @Override
    public String encodeRedirectURL(String url) {
        return url;
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
        if (stream == null) {
            stream = new SavingOutputStream(super.getOutputStream());
        }
        return stream;
    }

    @Override
    public PrintWriter getWriter() throws IOException {
        if (writer == null) {
            PrintWriter container = super.getWriter();
            writer = new PrintWriter(new SavingWriter(container), false) {
                @Override
                public boolean checkError() {
                    // The container's writer swallows I/O errors (a client gone away); report them as it would.
                    return super.checkError() || container.checkError();
                }
            };
        }
        return writer;
    }

    private void lengthHeader(String name, String value) {
        if ("content-length".equals(name.toLowerCase(Locale.ROOT)) && value != null) {
            try {
                declaredLength(Long.parseLong(value.trim()));
            } catch (NumberFormatException ignored) {
                // The container rejects or ignores it; there is no length to reach.
            }
        }
    }

    private void declaredLength(long len) {
        contentLength = len;
        if (len >= 0 && written >= len) {
            // Some containers complete the response as soon as the declared length is reached.
            beforeWrite(0);
        }
    }

    /** Called before {@code bytes} more bytes are written: saves the session if this write may commit the response. */
    private void beforeWrite(long bytes) {
        long after = written + bytes;
        written = after;
        if ((contentLength >= 0 && after >= contentLength) || after >= getBufferSize()) {
            // This write may commit the response. Save once, and again only if the cookie may have changed since:
            // later writes must not each pay for a commit.
            if ((!committedForSize || binding.changedSinceCommit()) && !isCommitted()) {
                committedForSize = true;
                binding.commit();
            }
        }
    }

    private void invoke(MethodHandle handle, Object... args) throws IOException {
        if (handle == null) {
            throw new UnsupportedOperationException("this container's Servlet API has no such sendRedirect");
        }
        Object[] all = new Object[args.length + 1];
        all[0] = getResponse();
        System.arraycopy(args, 0, all, 1, args.length);
        try {
            handle.invokeWithArguments(all);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException(e);
        }
    }

    private static MethodHandle redirectHandle(Class<?>... extra) {
        Class<?>[] parameters = new Class<?>[extra.length + 1];
        parameters[0] = String.class;
        System.arraycopy(extra, 0, parameters, 1, extra.length);
        try {
            return MethodHandles.publicLookup().findVirtual(HttpServletResponse.class, "sendRedirect",
                    MethodType.methodType(void.class, parameters));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return null;
        }
    }

    private final class SavingOutputStream extends ServletOutputStream {
        private final ServletOutputStream out;

        SavingOutputStream(ServletOutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            beforeWrite(1);
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            beforeWrite(len);
            out.write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            binding.commit();
            out.flush();
        }

        @Override
        public void close() throws IOException {
            binding.commit();
            out.close();
        }

        @Override
        public boolean isReady() {
            return out.isReady();
        }

        @Override
        public void setWriteListener(WriteListener listener) {
            out.setWriteListener(listener);
        }
    }

    private final class SavingWriter extends Writer {
        private final PrintWriter out;

        SavingWriter(PrintWriter out) {
            this.out = out;
        }

        @Override
        public void write(int c) {
            beforeWrite(MAX_BYTES_PER_CHAR);
            out.write(c);
        }

        @Override
        public void write(char[] buf, int off, int len) {
            beforeWrite((long) len * MAX_BYTES_PER_CHAR);
            out.write(buf, off, len);
        }

        @Override
        public void write(String s, int off, int len) {
            beforeWrite((long) len * MAX_BYTES_PER_CHAR);
            out.write(s, off, len);
        }

        @Override
        public void flush() {
            binding.commit();
            out.flush();
        }

        @Override
        public void close() {
            binding.commit();
            out.close();
        }
    }
}
