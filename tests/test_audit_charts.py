"""Chart geometry: what the SVG charts of the HTML report draw."""

from __future__ import annotations

from itertools import pairwise

import pytest

from replylint.audit.charts import line_chart

# The axis font is 10 px; "2025-W27" in it is ~45 px wide in the usual sans
# fonts. Labels need at least that much room, plus a gap, to be read.
WEEK_LABEL_PX = 48


def _weeks(n: int) -> list[str]:
    return [f"{2024 + (27 + i) // 52}-W{(27 + i) % 52 + 1:02d}" for i in range(n)]


@pytest.mark.parametrize("n", [1, 2, 5, 8, 9, 12, 14, 26, 53, 200])
def test_week_labels_never_overlap(n):
    """Over a quarter (14 weeks) and longer, the week labels under a trend
    chart are thinned so that none runs into the next."""
    weeks = _weeks(n)
    chart = line_chart("Mean score per week", weeks, [("All replies", [70.0] * n)])
    labels = [t for t in chart.texts if t.text in weeks]
    assert labels and labels[0].text == weeks[0]
    xs = [t.x for t in labels]
    assert all(b - a >= WEEK_LABEL_PX for a, b in pairwise(xs)), xs
    assert all(WEEK_LABEL_PX / 2 <= x <= chart.width - WEEK_LABEL_PX / 2 for x in xs)  # none cut off at the edges
    assert len(labels) >= min(n, 5)  # still enough to read the time axis by
    assert len(chart.lines[0].dots) == n  # every week is still drawn, with its tooltip
