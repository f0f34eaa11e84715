"""KPI values as people read them: digits written out, never an exponent."""
import pytest

from warroom.domain.numbers import format_mean, format_number


@pytest.mark.parametrize("value, unit, shown", [
    (4e6, "executions", "4,000,000 executions"),
    (4_000_000, "", "4,000,000"),
    (61.5, "%", "61.5%"),
    (910.0, "ms", "910 ms"),
    (0.8, "", "0.8"),
    (0.000123, "", "0.000123"),
    (0.1 + 0.2, "", "0.3"),
    (-2.5e-7, "", "-0.00000025"),
    (1e30, "", "1,000,000,000,000,000,000,000,000,000,000"),
    (-0.0, "%", "0%"),
])
def test_numbers_are_written_out(value, unit, shown):
    assert format_number(value, unit) == shown


def test_a_mean_is_written_to_three_significant_digits():
    assert [format_mean(v, "ms") for v in (906.6667, 0.583333, 61.46667, 4_000_000.4)] == [
        "907 ms", "0.583 ms", "61.5 ms", "4,000,000 ms"]
