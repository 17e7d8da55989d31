package dev.cloakroom.example.boot;

import dev.cloakroom.SessionManager;
import java.security.Principal;
import org.springframework.stereotype.Controller;
import org.springframework.web.bind.annotation.PostMapping;

/** "Sign out everywhere": every session of the user ends, on every device and every instance, this one included. */
@Controller
class AccountController {
    private final SessionManager sessions;

    AccountController(SessionManager sessions) {
        this.sessions = sessions;
    }

    @PostMapping("/sign-out-everywhere")
    String signOutEverywhere(Principal user) {
        int ended = sessions.revokeAll(user.getName());
        return "redirect:/login?signed-out=" + ended;
    }
}
