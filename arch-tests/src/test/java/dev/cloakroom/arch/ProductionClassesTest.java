package dev.cloakroom.arch;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.cloakroom.SessionManager;
import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The rules of {@link ProductionRules} on the main classes of every module on this module's class path. */
@Tag("unit")
class ProductionClassesTest {
    /** Each production module by one of its classes' names, so that a module missing from the class path fails here. */
    private static final String[] ONE_CLASS_PER_MODULE = {
        "dev.cloakroom.SessionManager", "dev.cloakroom.micrometer.MicrometerSessionMetrics", "dev.cloakroom.testkit.SessionStoreContract",
        "dev.cloakroom.servlet.CloakroomFilter", "dev.cloakroom.demo.DemoApp", "dev.cloakroom.jdbc.JdbcSessionStore",
        "dev.cloakroom.redis.RedisSessionStore", "dev.cloakroom.cli.Main", "dev.cloakroom.spring.SpringCodecModule",
        "dev.cloakroom.spring.boot.CloakroomAutoConfiguration",
    };

    private static final JavaClasses PRODUCTION = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.cloakroom");

    @Test
    void everyProductionModuleIsImported() {
        for (String name : ONE_CLASS_PER_MODULE) {
            assertThat(PRODUCTION.contain(name)).as(name).isTrue();
        }
        assertThat(PRODUCTION.contain(ProductionClassesTest.class)).as("this module's tests are not production").isFalse();
    }

    @Test
    void noProductionClassUsesJavaDeserialization() {
        ProductionRules.NO_JAVA_DESERIALIZATION.check(PRODUCTION);
    }

    @Test
    void noProductionClassLetsJacksonReadATypeFromTheData() {
        ProductionRules.NO_JACKSON_TYPE_IDS_FROM_DATA.check(PRODUCTION);
    }

    @Test
    void coreDependsOnNoWebOrStoreDriverPackage() throws IOException {
        JavaClasses coreClasses = new ClassFileImporter().importUrl(coreArtifact());
        assertThat(coreClasses.contain(SessionManager.class)).isTrue();
        assertThat(coreClasses.contain("dev.cloakroom.servlet.CloakroomFilter")).as("only core's artifact").isFalse();

        ProductionRules.CORE_WITHOUT_WEB_OR_STORE_DRIVERS.check(coreClasses);
    }

    /**
     * The root of core's own artifact: its jar once packaged, else its classes folder. The CLI's and the demo's shaded
     * jars carry core's classes too, with their dependencies beside them, so "wherever SessionManager was loaded from"
     * would not do.
     */
    private static URL coreArtifact() throws IOException {
        String resource = SessionManager.class.getName().replace('.', '/') + ".class";
        for (URL copy : Collections.list(ProductionClassesTest.class.getClassLoader().getResources(resource))) {
            String text = copy.toString();
            if (text.contains("/cloakroom-core-") || text.contains("/core/target/classes/")) {
                return new URL(text.substring(0, text.length() - resource.length()));
            }
        }
        throw new AssertionError("core's artifact is not on the class path");
    }
}
