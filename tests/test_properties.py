"""Property tests: any input gives a result, spans stay inside it, output is
deterministic."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replylint.inputs import Source

PIECES = st.sampled_from([
    "Hi Ana,", "We could not reproduce this.", "Please share the log.", "> quoted customer text",
    "```", "ERROR 2024-01-01 failed", "We will update you soon.", "Regards,\nSam", "1. first item",
    "- bullet", "<p>html para</p>", "<blockquote>quoted</blockquote>", "On Mon, Jane wrote:",
    "From: Jane\nSent: today\nTo: us\nSubject: x", "\u05e9\u05dc\u05d5\u05dd", "\U0001F600", "\r\n", "\t",
    "<!-- replylint: ignore[eta-vague] -->", "<!-- replylint: disable -->", "`code`", "4.2.0", "[[FILL: x]]",
])
TEXTS = st.one_of(
    st.text(max_size=400),
    st.lists(st.one_of(PIECES, st.text(max_size=30)), max_size=25).map(lambda parts: "\n".join(parts)),
)
FORMATS = st.sampled_from(["text", "markdown", "html", "eml"])


def _assert_spans_inside(text, result):
    lines = text.splitlines() or [""]
    for f in result.findings:
        assert 1 <= f.line <= f.end_line <= max(len(lines), 1) + 1
        assert f.column >= 1 and f.end_column >= 1
        if f.start is not None:
            assert 0 <= f.start <= f.end <= len(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS, fmt=FORMATS)
def test_properties_never_crash_and_spans_inside(engine, text, fmt):
    result = engine.check_source(Source("p", text, fmt))
    assert result.error is None, result.error
    _assert_spans_inside(text, result)
    assert 0 <= result.score <= 100


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=TEXTS)
def test_properties_deterministic(engine, text):
    first = engine.check_source(Source("p", text, "text")).to_dict()
    second = engine.check_source(Source("p", text, "text")).to_dict()
    assert first == second


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts=st.lists(TEXTS, min_size=1, max_size=6))
def test_properties_batch_equals_one_by_one(engine, texts):
    batch = [r.to_dict() for r in engine.check_sources([Source(str(i), t, "text") for i, t in enumerate(texts)])]
    single = [engine.check_source(Source(str(i), t, "text")).to_dict() for i, t in enumerate(texts)]
    assert batch == single


def test_properties_regression_suppression_in_converted_input(engine):
    # Found by hypothesis: a comment's span in converted (eml/html) text must be
    # mapped back to the original before it is reported.
    text = "\u0100<!--REPLYLINT:IGNORE-->"
    for fmt in ("eml", "html", "text"):
        result = engine.check_source(Source("p", text, fmt))
        _assert_spans_inside(text, result)
