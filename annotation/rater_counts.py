"""How many distinct raters each item really has: the figure a dataset card and a report state, rather than
the configured overlap k (imported raters hold no slots, so an item can have more than k; an item still
being rated has fewer). Pure: counts in, a frozen dataclass out."""

import statistics
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class RaterCounts:
    """Raters per item over ``items`` items: the least, the median and the most, and how many items have each
    count (``histogram``: {raters: items}, ascending). All None/empty when there are no items."""

    items: int
    min: int | None
    median: float | None
    max: int | None
    histogram: dict

    def as_dict(self):
        return {"items": self.items, "min": self.min, "median": self.median, "max": self.max,
                "histogram": {str(raters): items for raters, items in self.histogram.items()}}


def rater_counts(per_item):
    """RaterCounts of an iterable of per-item rater counts (one number per item, zeros included)."""
    counts = sorted(int(count) for count in per_item)
    if not counts:
        return RaterCounts(0, None, None, None, {})
    return RaterCounts(len(counts), counts[0], float(statistics.median(counts)), counts[-1],
                       dict(sorted(Counter(counts).items())))
