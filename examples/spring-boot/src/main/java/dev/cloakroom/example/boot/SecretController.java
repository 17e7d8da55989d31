package dev.cloakroom.example.boot;

import java.security.Principal;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** The page behind the login. */
@RestController
class SecretController {
    @GetMapping("/secret")
    String secret(Principal user) {
        return "the secret of " + user.getName();
    }
}
