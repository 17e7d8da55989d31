package dev.cloakroom.arch;

import static com.tngtech.archunit.core.domain.JavaClass.Predicates.assignableTo;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaCall;
import com.tngtech.archunit.lang.ArchRule;
import java.io.ObjectInput;
import java.io.ObjectInputStream;

/**
 * The static guarantees, each stated once, and checked both on the production classes ({@link ProductionClassesTest})
 * and on fixtures that break them ({@link RulesBiteTest}), so that a rule that could never fail is caught.
 */
final class ProductionRules {
    /** Java deserialization: {@code ObjectInputStream}, its subclasses, anything else that reads an {@code ObjectInput}. */
    static final ArchRule NO_JAVA_DESERIALIZATION = noClasses()
            .should().dependOnClassesThat(assignableTo(ObjectInputStream.class).or(assignableTo(ObjectInput.class)))
            .because("stored data is JSON read as data only; Java deserialization can instantiate anything (DESIGN, invariant 3)");

    /** Jackson's ways to read a class name from the data: default typing, type ids, and the validators that go with them. */
    static final ArchRule NO_JACKSON_TYPE_IDS_FROM_DATA = noClasses()
            .should().callMethodWhere(namedLike("activateDefaultTyping", "enableDefaultTyping", "setDefaultTyping"))
            .orShould().dependOnClassesThat().haveFullyQualifiedName("com.fasterxml.jackson.annotation.JsonTypeInfo")
            .orShould().dependOnClassesThat().haveFullyQualifiedName("com.fasterxml.jackson.databind.ObjectMapper$DefaultTyping")
            .orShould().dependOnClassesThat().haveFullyQualifiedName("com.fasterxml.jackson.databind.ObjectMapper$DefaultTypeResolverBuilder")
            .orShould().dependOnClassesThat().resideInAPackage("com.fasterxml.jackson.databind.jsontype..")
            .because("a stored record must never name the class it is read into; types are registered by name (SessionCodec)");

    /** What core may not know about: the web, the stores' drivers and clients, and the optional integrations. */
    static final ArchRule CORE_WITHOUT_WEB_OR_STORE_DRIVERS = noClasses()
            .should().dependOnClassesThat().resideInAnyPackage(
                    "jakarta.servlet..", "javax.servlet..", "org.springframework..", "org.eclipse.jetty..", "org.apache.catalina..",
                    "org.apache.tomcat..", "java.sql..", "javax.sql..", "org.postgresql..", "org.mariadb..", "com.mysql..",
                    "org.h2..", "com.zaxxer.hikari..", "io.lettuce..", "io.netty..", "redis..", "io.micrometer..", "picocli..")
            .because("core is the session model and SPI: a store module brings its own driver, and only servlet touches the web");

    private ProductionRules() {
    }

    private static DescribedPredicate<JavaCall<?>> namedLike(String... prefixes) {
        return DescribedPredicate.describe("a method named " + String.join(", ", prefixes) + "…", call -> {
            String name = call.getTarget().getName();
            for (String prefix : prefixes) {
                if (name.startsWith(prefix)) {
                    return true;
                }
            }
            return false;
        });
    }
}
