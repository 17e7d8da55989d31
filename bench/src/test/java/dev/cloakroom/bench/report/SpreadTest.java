package dev.cloakroom.bench.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class SpreadTest {

    @Test
    void oddRoundsGiveTheMiddleValueAndTheirRange() {
        Spread s = Spread.of(List.of(0.9, 0.6, 0.7));

        assertThat(s.median()).isEqualTo(0.7);
        assertThat(s.format("%.2f")).isEqualTo("0.70 (0.60-0.90)");
    }

    @Test
    void evenRoundsGiveTheMeanOfTheTwoMiddleValues() {
        assertThat(Spread.of(List.of(4.0, 1.0, 2.0, 3.0)).median()).isEqualTo(2.5);
    }

    @Test
    void oneValueOrEqualValuesShowNoRangeAndNoValuesShowADash() {
        assertThat(Spread.of(List.of(3.0)).format("%.0f")).isEqualTo("3");
        assertThat(Spread.of(List.of(3.0, 3.0)).format("%.0f")).isEqualTo("3");
        assertThat(Spread.of(List.of()).format("%.0f")).isEqualTo("-");
        assertThat(Spread.of(List.of(Double.NaN)).isEmpty()).isTrue();
    }
}
