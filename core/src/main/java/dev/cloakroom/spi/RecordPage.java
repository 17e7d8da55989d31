package dev.cloakroom.spi;

import java.util.List;
import java.util.Optional;

/**
 * One answer of {@link SessionStore#list}: some records, and the cursor to ask for the next page with, absent once the
 * listing is complete. A page may hold fewer records than asked for, even none, while more follow.
 */
public record RecordPage(List<RecordSummary> records, Optional<String> next) {

    /** The last page of an empty store. */
    public static final RecordPage EMPTY = new RecordPage(List.of(), Optional.empty());

    public RecordPage {
        records = List.copyOf(records);
        next.ifPresent(cursor -> {
            if (cursor.isEmpty()) {
                throw new IllegalArgumentException("a cursor must not be empty");
            }
        });
    }

    /** Checks a {@code limit} given to {@link SessionStore#list}. */
    public static int requireLimit(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
        return limit;
    }
}
