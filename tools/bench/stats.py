"""Pure statistics for `cakap bench`: percentiles, min/median/max summaries, ratios and their
formatting. No I/O, so the smoke tier's unit tests cover it exactly (tests/bench/test_stats.py).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0–100) by linear interpolation between closest ranks (numpy's default).

    Raises ValueError for an empty list or p outside 0–100.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} outside 0–100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * p / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


@dataclass(frozen=True)
class Spread:
    """min/median/max of one figure over the runs of a section."""

    minimum: float
    median: float
    maximum: float
    runs: int

    @staticmethod
    def of(values: list[float]) -> Spread:
        if not values:
            raise ValueError("spread of no values")
        return Spread(min(values), statistics.median(values), max(values), len(values))

    def text(self, digits: int = 1) -> str:
        """`median (min–max)`; the median first because the tables compare medians."""
        if self.runs == 1:
            return format_number(self.median, digits)
        return f"{format_number(self.median, digits)} ({format_number(self.minimum, digits)}–{format_number(self.maximum, digits)})"

    def as_dict(self) -> dict:
        return {"min": self.minimum, "median": self.median, "max": self.maximum, "runs": self.runs}


def format_number(value: float, digits: int = 1) -> str:
    """Thousands separators, fixed digits; `–` for a missing (NaN) figure."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{value:,.{digits}f}"


def ratio(value: float, anchor: float) -> float:
    """value ÷ anchor; NaN when the anchor is zero or missing (never a division error in a report)."""
    if anchor is None or value is None or anchor == 0 or math.isnan(anchor) or math.isnan(value):
        return math.nan
    return value / anchor


def format_ratio(value: float) -> str:
    """A ratio as `0.97×` (two decimals), `–` when it could not be computed."""
    if value is None or math.isnan(value):
        return "–"
    return f"{value:.2f}×"


def goal_text(holds: bool | None) -> str:
    """The report's verdict for one goal: holds, missed, or not measured."""
    if holds is None:
        return "not measured"
    return "holds" if holds else "**missed**"


def decode_rate(tokens: int, first: float, last: float) -> float:
    """Decode tokens/s: the tokens after the first over the time from the first to the last one
    (what llama.cpp calls generation speed; the first token's time is TTFT, counted apart)."""
    if tokens < 2 or last <= first:
        return math.nan
    return (tokens - 1) / (last - first)
