"""The Python API: one call, text in, the JSON contract object out."""

from __future__ import annotations

import json

import replylint

CONTRACT_KEYS = {"actions_taken", "outcome", "next_steps", "eta", "info_request", "request_justified",
                 "requests_batched", "cannot_reproduce", "setup_stated", "bounce_back", "assumption_stated"}


def test_api_check_returns_the_json_contract():
    result = replylint.check("We could not reproduce this.", name="draft")
    assert set(result) >= {"source", "kind", "score", "elements", "findings"}
    assert set(result["elements"]) == CONTRACT_KEYS
    assert list(result["elements"]) == ["actions_taken", "outcome", "next_steps", "eta", "info_request",
                                         "request_justified", "requests_batched", "cannot_reproduce",
                                         "setup_stated", "bounce_back", "assumption_stated"]
    assert result["kind"] in {"status-update", "resolution", "info-request", "other"}
    assert 0 <= result["score"] <= 100
    f = result["findings"][0]
    assert {"rule", "severity", "message", "line", "column", "end_line", "end_column", "suggestion"} <= set(f)
    json.dumps(result)


def test_api_config_file(tmp_path):
    cfg = tmp_path / ".replylint.toml"
    cfg.write_text('ignore = ["cannot-reproduce"]\n')
    result = replylint.check("We could not reproduce this.", config=cfg)
    assert all(f["rule"] != "cannot-reproduce" for f in result["findings"])


def test_api_same_text_same_result():
    text = "Please share the gateway log. We will update you soon."
    assert replylint.check(text) == replylint.check(text)
