"""Audit reports: HTML (self-contained, escaped, renders in a real headless
browser with no console errors), JSON, CSV (safe against formula injection)."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from replylint.audit.report import safe_cell
from replylint.cli import main

MAP = "text=body,agent=author,ticket=ticket_id,created_at=created,id=message_id,direction=from_role"
HOSTILE_AGENT = '<img src=x onerror="alert(1)">Eve'
ROWS = [
    {"message_id": "c1", "ticket_id": "T<b>1</b>", "author": "Cust", "from_role": "customer",
     "created": "2024-06-03T09:00:00Z", "body": "<script>alert('customer')</script> It fails."},
    {"message_id": "a1", "ticket_id": "T<b>1</b>", "author": HOSTILE_AGENT, "from_role": "agent",
     "created": "2024-06-03T11:00:00Z",
     "body": "Hi,\n\nWe could not reproduce it. Please check at your end.\n\n<script>document.title='pwned'</script>\n"
             "=HYPERLINK(\"http://evil.example/x\",\"click\")", "format": "text"},
    {"message_id": "=cmd|' /C calc'!A0", "ticket_id": "T2", "author": "+Mallory", "from_role": "agent",
     "created": "2024-06-12T11:00:00Z",
     "body": "We set up a cluster on 4.2.0 with update level 45 and replayed your request. The refresh succeeded. "
             "Next, we will test it with your keystore and update you by Friday 17:00 UTC."},
    {"message_id": "a3", "ticket_id": "T2", "author": "-Bob", "from_role": "agent", "created": "2024-06-20T11:00:00Z",
     "body": "@SUM(1+1) Could you share the carbon log so we can check whether the request reaches the handler?"},
]


def _write_export(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def _replylint(*args: str):
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _outs(folder: Path) -> list[str]:
    return ["--out", str(folder / "r.html"), "--out", str(folder / "r.json"), "--out", str(folder / "r.csv")]


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    export = _write_export(tmp / "e.jsonl", ROWS)
    _replylint("audit", "run", str(export), "--db", str(tmp / "audit.db"), "--map", MAP, "-j", "1", "--no-progress", "-q",
               *_outs(tmp))
    return tmp


def test_audit_report_html_escapes_reply_text(reports):
    html = (reports / "r.html").read_text(encoding="utf-8")
    assert "<script>document.title" not in html and "<script>alert" not in html
    assert "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;" in html
    assert '<img src=x onerror' not in html and "&lt;img src=x onerror=" in html
    assert "T<b>1</b>" not in html and "T&lt;b&gt;1&lt;/b&gt;" in html
    # exactly one script: ours, allowed by hash in the CSP
    assert len(re.findall(r"<script\b", html)) == 1
    assert re.search(r"script-src &#39;sha256-[A-Za-z0-9+/=]+&#39;", html)


def test_audit_report_html_is_self_contained(reports):
    html = (reports / "r.html").read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "@import" not in html and "url(http" not in html
    assert html.count("<svg class=\"chart\"") == 6


def test_audit_report_csv_neutralises_formulas(reports):
    rows = list(csv.reader(io.StringIO((reports / "r.csv").read_text(encoding="utf-8"))))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["level", "ticket", "id"]
    for row in body:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), row
    ids = {row[2] for row in body}
    assert "'=cmd|' /C calc'!A0" in ids
    agents = {row[3] for row in body}
    assert {"'+Mallory", "'-Bob"} <= agents
    assert {"reply", "thread"} <= {row[0] for row in body}


@pytest.mark.parametrize("value,expected", [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"),
                                            ("\tx", "'\tx"), ("\rx", "'\rx"), ("plain", "plain"), (42, 42), (None, None)])
def test_audit_report_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_audit_report_json_carries_contract_and_thread_vocabulary(reports):
    data = json.loads((reports / "r.json").read_text(encoding="utf-8"))
    assert data["summary"]["replies"] == 3 and data["summary"]["customer_messages"] == 1
    reply = next(r for r in data["replies"] if r["id"] == "a1")
    assert set(reply["elements"]) >= {"actions_taken", "outcome", "cannot_reproduce", "bounce_back"}
    assert {"rule", "severity", "message", "line", "column", "end_line", "end_column", "suggestion"} <= set(reply["findings"][0])
    assert set(data["vocabulary"]["thread_rules"]) >= {"repeated-request", "request-rounds", "eta-missed", "no-daily-update",
                                                         "stagnant-ticket", "left-behind", "cannot-reproduce-then-closed"}
    assert len(data["score_histogram"]) == 10 and sum(b["replies"] for b in data["score_histogram"]) == 3


# -- a real browser ----------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--virtual-time-budget=3000"]


def _chromium(tmp_path: Path, page: Path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *extra, page.as_uri()]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


def _console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)")


@needs_chromium
def test_audit_report_browser_harness_sees_console_errors(tmp_path):
    """The check below would catch a broken page: a page with an error is seen."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><script>undefinedFunction();</script></body></html>")
    done = _chromium(tmp_path, bad, "--dump-dom")
    assert any("undefinedFunction" in m for m in _console_messages(done.stderr))


@needs_chromium
def test_audit_report_renders_in_headless_chromium(reports, tmp_path):
    done = _chromium(tmp_path, reports / "r.html", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    assert _console_messages(done.stderr) == []  # no errors, no CSP violations, nothing injected ran
    assert 'data-charts-rendered="6/6"' in done.stdout  # every chart laid out and drew its bars/lines
    assert "<title>replylint audit</title>" in done.stdout  # the injected document.title never ran


@needs_chromium
def test_audit_report_screenshot_is_not_blank(reports, tmp_path):
    from PIL import Image, ImageStat

    shot = tmp_path / "report.png"
    done = _chromium(tmp_path, reports / "r.html", "--window-size=1280,1800", f"--screenshot={shot}")
    assert shot.is_file(), done.stderr[-2000:]
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 1800)
    colours = image.resize((320, 450)).getcolors(maxcolors=1 << 16) or []
    assert len(colours) > 50  # text, bars, lines: far from a blank page
    assert max(ImageStat.Stat(image).stddev) > 20
    # The bar colour of the charts is on screen.
    assert any(abs(r - 0x25) < 12 and abs(g - 0x63) < 12 and abs(b - 0xEB) < 12 for _, (r, g, b) in colours)


# -- the element figures say what they count ----------------------------------------------

def test_audit_report_compliance_per_element_is_read_from_the_rules_findings(reports):
    """Compliance of an element is, of the replies its rules look at (by kind),
    the share with no finding from them; recomputed here from the per-reply
    findings in report.json and the rules' own element and kinds, it matches
    the JSON, HTML and terminal figures."""
    from replylint.registry import load

    data = json.loads((reports / "r.json").read_text(encoding="utf-8"))
    html = (reports / "r.html").read_text(encoding="utf-8")
    terminal = CliRunner().invoke(main, ["audit", "report", "--db", str(reports / "audit.db")], catch_exceptions=False).output
    rules_of: dict[str, list] = {}
    for spec in load().rules.values():
        if spec.element:
            rules_of.setdefault(spec.element, []).append(spec)
    replies = [r for r in data["replies"] if not r.get("error")]
    by_element = {e["element"]: e for e in data["elements"]}
    assert {"eta", "setup_stated", "bounce_back"} <= set(rules_of)
    for element, specs in rules_of.items():
        ids = {s.id for s in specs}

        def looks_at(reply, spec):
            return ((not spec.kinds or reply["kind"] in spec.kinds)
                    and (spec.applies_when is None or reply["elements"][spec.applies_when]))

        looked_at = [r for r in replies if any(looks_at(r, s) for s in specs)
                     or any(f["rule"] in ids for f in r["findings"])]
        breached = [r for r in looked_at if any(f["rule"] in ids for f in r["findings"])]
        e = by_element[element]
        assert e["compliance_replies"] == len(looked_at) and e["breached"] == len(breached), element
        if looked_at:
            expected = 100 * (len(looked_at) - len(breached)) / len(looked_at)
            assert e["compliance"] == pytest.approx(expected, abs=0.05)
            assert f"<title>{element}: {expected:.0f}%</title>" in html
            assert re.search(rf"{element}\s+│\s+{expected:.0f}% of {len(looked_at)}\s", terminal), element
    # The fixture's bounce ("Please check at your end") breaks the protocol somewhere.
    assert by_element["bounce_back"]["compliance"] < 100
    # An element no rule reports has no compliance figure, only its share.
    assert by_element["info_request"]["compliance"] is None
    # Review: requests were judged in replies that made none ("100% of 3").
    asking = [r for r in replies if r["elements"]["info_request"]]
    assert by_element["request_justified"]["compliance_replies"] == len(asking) < len(replies)
    assert "Compliance per protocol element" in html and "Share of replies showing each protocol element" in html
    assert "Compliance per protocol element" in terminal and "replies showing it" in terminal


def test_audit_report_share_of_replies_showing_each_element(reports):
    data = json.loads((reports / "r.json").read_text(encoding="utf-8"))
    html = (reports / "r.html").read_text(encoding="utf-8")
    terminal = CliRunner().invoke(main, ["audit", "report", "--db", str(reports / "audit.db")], catch_exceptions=False).output
    bounce = next(e for e in data["elements"] if e["element"] == "bounce_back")
    assert bounce["wanted"] is False and bounce["share_present"] == pytest.approx(100 / 3, abs=0.1)
    for e in data["elements"]:
        if e["applicable"]:
            assert f"<title>{e['element']}: {e['share_present']:.0f}%</title>" in html
            assert re.search(rf"{e['element']}\s+│.*│\s+{e['share_present']:.0f}% of {e['applicable']}\s", terminal), e


# -- a team in another time zone, HTML mail, two exports over two runs ------------------------

ZONE = "Asia/Kolkata"  # UTC+05:30 all year
HTML_REPLY = ('<div class="zd-comment" dir="auto">\n<p>Hi Ana,</p>\n<p>Please check this at your end and let us know.'
              '</p>\n<p>Regards,<br>Sam</p></div>')
LATER_ROWS = [  # audited first
    {"message_id": "c9", "ticket_id": "T9", "author": "Ana", "from_role": "customer", "created": "2025-07-20T04:00:00Z",
     "body": "The import fails with a 500."},
    {"message_id": "a9", "ticket_id": "T9", "author": "Sam", "from_role": "agent", "created": "2025-07-20T10:00:00Z",
     "body": HTML_REPLY},
    {"message_id": "c10", "ticket_id": "T9", "author": "Ana", "from_role": "customer", "created": "2025-07-21T05:30:00Z",
     "body": "I checked, it still fails. What now?"},
    {"message_id": "a8", "ticket_id": "T8", "author": "Sam", "from_role": "agent", "created": "2025-07-22T10:00:00Z",
     "body": "We replayed your request on 4.2.0 and it failed on node 2. We will send a patch by Friday."},
]
EARLIER_ROWS = [  # audited second
    {"message_id": "a1", "ticket_id": "T1", "author": "Kim", "from_role": "agent", "created": "2025-07-01T09:00:00Z",
     "body": "We reproduced the crash on 5.4.0 and found the cause. A patch follows by Monday."},
    {"message_id": "a2", "ticket_id": "T2", "author": "Kim", "from_role": "agent", "created": "2025-07-02T09:00:00Z",
     "body": "We checked the logs; the error is a race in the cache. A fix follows by Tuesday."},
    {"message_id": "a3", "ticket_id": "T1", "author": "Kim", "from_role": "agent", "created": "2025-07-03T09:00:00Z",
     "body": "The patch is attached. Could you apply it and tell us whether the crash is gone?"},
]


@pytest.fixture(scope="module")
def team_reports(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("team")
    db = tmp / "audit.db"
    for name, rows in (("later.jsonl", LATER_ROWS), ("earlier.jsonl", EARLIER_ROWS)):
        export = _write_export(tmp / name, rows)
        _replylint("audit", "run", str(export), "--db", str(db), "--map", MAP, "-j", "1", "--timezone", ZONE,
                   "--no-progress", "-q")
    _replylint("audit", "report", "--db", str(db), "--timezone", ZONE, "-q", *_outs(tmp))
    return tmp


def test_audit_report_worst_replies_show_html_mail_as_text(team_reports):
    """An HTML reply is shown as the text that was checked, not its tags, and
    a finding's line:column points into that text."""
    html = (team_reports / "r.html").read_text(encoding="utf-8")
    data = json.loads((team_reports / "r.json").read_text(encoding="utf-8"))
    worst = next(w for w in data["worst"] if w["id"] == "a9")
    assert "<div" not in worst["excerpt"] and "<p>" not in worst["excerpt"]
    shown = worst["excerpt"].splitlines()
    assert shown[:3] == ["Hi Ana,", "", "Please check this at your end and let us know."]
    assert "zd-comment" not in html and "&lt;p&gt;" not in html
    assert "Please check this at your end and let us know." in html
    bounce = next(f for f in worst["findings"] if f["rule"] == "bounce-back")
    assert (bounce["line"], bounce["column"]) == (3, 4)  # in the stored HTML: after "<p>"
    assert (bounce["excerpt_line"], bounce["excerpt_column"]) == (3, 1)  # in the text shown
    assert shown[bounce["excerpt_line"] - 1][bounce["excerpt_column"] - 1:].startswith("Please check")
    assert re.search(r"<td>3:1</td><td class=\"sev-warning\">bounce-back</td>", html)


def test_audit_report_html_times_are_the_teams_local_time(team_reports):
    """The HTML shows every time in the team's zone, says which, and its "At"
    column agrees with the thread findings' own text; JSON keeps UTC."""
    html = (team_reports / "r.html").read_text(encoding="utf-8")
    data = json.loads((team_reports / "r.json").read_text(encoding="utf-8"))
    assert data["time_zone"] == ZONE
    assert re.search(r"<p>Times in Asia/Kolkata &middot; generated \d{4}-\d\d-\d\d \d\d:\d\d", html)
    assert "At (Asia/Kolkata)" in html
    left = next(f for t in data["threads"] for f in t["findings"] if f["message_id"] == "c10" and f["rule"] == "left-behind")
    assert left["at"] == "2025-07-21T05:30:00Z" and "since 2025-07-21 11:00" in left["message"]
    row = re.search(r"<td>c10</td><td>([^<]*)</td>", html)
    assert row and row.group(1) == "2025-07-21 11:00"
    assert "&middot; 2025-07-20 15:30 &middot;" in html  # the worst reply a9, sent 10:00 UTC
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", html)  # no UTC time left anywhere


def test_audit_report_json_and_csv_list_replies_in_time_order(team_reports):
    """Two exports audited in two runs (the later one first): report.json and
    report.csv list the replies by time, then ticket, then id, the same way."""
    data = json.loads((team_reports / "r.json").read_text(encoding="utf-8"))
    json_ids = [r["id"] for r in data["replies"]]
    assert json_ids == ["a1", "a2", "a3", "a9", "a8"]
    rows = list(csv.DictReader(io.StringIO((team_reports / "r.csv").read_text(encoding="utf-8"))))
    csv_ids = list(dict.fromkeys(r["id"] for r in rows if r["level"] == "reply"))
    assert csv_ids == json_ids


def test_audit_report_keeps_the_rules_the_run_used_for_compliance(tmp_path):
    """Review: `audit run --ignore missing-eta` then `audit report` counted
    missing-eta again, a rule that never ran."""
    export = _write_export(tmp_path / "e.jsonl", ROWS)
    db = tmp_path / "audit.db"
    _replylint("audit", "run", str(export), "--db", str(db), "--map", MAP, "-j", "1", "--no-progress", "-q",
               "--ignore", "missing-eta", "--out", str(tmp_path / "run.json"))
    _replylint("audit", "report", "--db", str(db), "-q", "--out", str(tmp_path / "report.json"))
    for name in ("run.json", "report.json"):
        eta = next(e for e in json.loads((tmp_path / name).read_text())["elements"] if e["element"] == "eta")
        assert eta["rules"] == ["eta-vague"], name
