package dev.cloakroom.example.boot;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.security.web.csrf.CsrfToken;
import org.springframework.stereotype.Controller;
import org.springframework.ui.Model;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseBody;
import org.springframework.web.servlet.mvc.support.RedirectAttributes;
import org.springframework.web.util.HtmlUtils;

/**
 * A form that posts and redirects (post/redirect/get): the confirmation travels as a flash attribute, which Spring MVC
 * keeps in the session for the one request after the redirect.
 */
@Controller
class NotesController {
    static final int MAX_LENGTH = 200;

    @GetMapping(value = "/notes", produces = MediaType.TEXT_HTML_VALUE)
    @ResponseBody
    String form(Model model, CsrfToken csrf) {
        Object saved = model.getAttribute("saved");
        String message = saved == null ? "" : "<p id=\"flash\">Saved: " + HtmlUtils.htmlEscape(saved.toString()) + "</p>";
        return "<!DOCTYPE html><title>Notes</title>" + message
                + "<form method=\"post\" action=\"/notes\"><input name=\"text\" maxlength=\"" + MAX_LENGTH + "\">"
                + "<input type=\"hidden\" name=\"" + csrf.getParameterName() + "\" value=\"" + csrf.getToken() + "\">"
                + "<button>Save</button></form>";
    }

    @PostMapping("/notes")
    String save(@RequestParam(defaultValue = "") String text, RedirectAttributes redirect) {
        if (text.isBlank() || text.length() > MAX_LENGTH) {
            throw new InvalidNoteException("a note is 1 to " + MAX_LENGTH + " characters, not blank; this one has " + text.length());
        }
        redirect.addFlashAttribute("saved", text);
        return "redirect:/notes";
    }

    @ExceptionHandler(InvalidNoteException.class)
    ResponseEntity<String> invalid(InvalidNoteException e) {
        return ResponseEntity.badRequest().contentType(MediaType.TEXT_PLAIN).body(e.getMessage());
    }

    /** A note the form refuses; answered 400 with the reason. */
    static final class InvalidNoteException extends RuntimeException {
        InvalidNoteException(String message) {
            super(message);
        }
    }
}
