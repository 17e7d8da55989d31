package dev.cloakroom.example.boot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A Spring Boot app with Spring Security's form login whose sessions Cloakroom keeps: nothing here mentions
 * Cloakroom, the starter on the class path and {@code cloakroom.*} in {@code application.properties} are all it takes.
 */
@SpringBootApplication
public class CloakroomExampleApplication {
    public static void main(String[] args) {
        SpringApplication.run(CloakroomExampleApplication.class, args);
    }
}
