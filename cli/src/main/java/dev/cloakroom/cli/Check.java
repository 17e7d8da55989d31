package dev.cloakroom.cli;

/** One finding of {@code doctor}: what was checked, what was found, and for a failure what to do about it. */
record Check(String name, boolean passed, String detail, String fix) {

    static Check pass(String name, String detail) {
        return new Check(name, true, detail, null);
    }

    static Check fail(String name, String detail, String fix) {
        return new Check(name, false, detail, fix);
    }
}
