package dev.cloakroom.system;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;

/**
 * With {@code -Dreliability.report=true}, rewrites {@code docs/reliability.md} ({@code reliability.doc}) when the test
 * run ends, from the findings the scenarios recorded, listing any test that failed. Registered through
 * {@code META-INF/services}; without the property it does nothing.
 */
public final class ReliabilityReportListener implements LauncherSessionListener {
    static final String PROPERTY = "reliability.report";

    private final List<String> failures = new CopyOnWriteArrayList<>();

    /** Instantiated by the JUnit Platform's service loader. */
    public ReliabilityReportListener() {
    }

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        if (!Boolean.getBoolean(PROPERTY)) {
            return;
        }
        session.getLauncher().registerTestExecutionListeners(new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier test, TestExecutionResult result) {
                if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                    failures.add(test.getDisplayName() + " (" + test.getUniqueId() + "): " + result.getThrowable()
                            .map(Throwable::getMessage).map(m -> m.lines().findFirst().orElse("")).orElse(result.getStatus().name()));
                }
            }
        });
    }

    @Override
    public void launcherSessionClosed(LauncherSession session) {
        if (!Boolean.getBoolean(PROPERTY)) {
            return;
        }
        try {
            Path doc = Path.of(System.getProperty("reliability.doc", "../docs/reliability.md"));
            ReliabilityReport.write(Report.dir(), doc, failures);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
