package dev.cloakroom.arch;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.lang.EvaluationResult;
import dev.cloakroom.arch.fixtures.AnnotatedWithClassTypeIds;
import dev.cloakroom.arch.fixtures.BuildsATypeValidator;
import dev.cloakroom.arch.fixtures.EnablesDefaultTyping;
import dev.cloakroom.arch.fixtures.FilteringObjectInputStream;
import dev.cloakroom.arch.fixtures.OpensAConnection;
import dev.cloakroom.arch.fixtures.PlainData;
import dev.cloakroom.arch.fixtures.ReadsACookie;
import dev.cloakroom.arch.fixtures.ReadsJavaSerialization;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Each rule of {@link ProductionRules} on fixture classes that break it, one at a time: it must fail on each. */
@Tag("unit")
class RulesBiteTest {

    @Test
    void noJavaDeserializationWhenAClassReadsOrExtendsObjectInputStreamThenViolated() {
        assertViolatedByEach(ProductionRules.NO_JAVA_DESERIALIZATION, ReadsJavaSerialization.class, FilteringObjectInputStream.class);
    }

    @Test
    void noJacksonTypeIdsWhenDefaultTypingTypeInfoOrAValidatorIsUsedThenViolated() {
        assertViolatedByEach(ProductionRules.NO_JACKSON_TYPE_IDS_FROM_DATA,
                EnablesDefaultTyping.class, AnnotatedWithClassTypeIds.class, BuildsATypeValidator.class);
    }

    @Test
    void coreWithoutWebOrDriversWhenAClassUsesTheServletApiOrJdbcThenViolated() {
        assertViolatedByEach(ProductionRules.CORE_WITHOUT_WEB_OR_STORE_DRIVERS, ReadsACookie.class, OpensAConnection.class);
    }

    @Test
    void everyRuleWhenTheClassReadsJsonAsATreeThenHolds() {
        for (ArchRule rule : List.of(ProductionRules.NO_JAVA_DESERIALIZATION, ProductionRules.NO_JACKSON_TYPE_IDS_FROM_DATA,
                ProductionRules.CORE_WITHOUT_WEB_OR_STORE_DRIVERS)) {
            assertThat(rule.evaluate(new ClassFileImporter().importClasses(PlainData.class)).hasViolation())
                    .as(rule.getDescription()).isFalse();
        }
    }

    private static void assertViolatedByEach(ArchRule rule, Class<?>... fixtures) {
        for (Class<?> fixture : fixtures) {
            EvaluationResult result = rule.evaluate(new ClassFileImporter().importClasses(fixture));

            assertThat(result.hasViolation()).as("%s on %s", rule.getDescription(), fixture.getSimpleName()).isTrue();
            assertThat(result.getFailureReport().getDetails()).as(fixture.getSimpleName())
                    .anyMatch(line -> line.contains(fixture.getName()));
        }
    }
}
