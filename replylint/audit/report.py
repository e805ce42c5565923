"""Reports from the audit database, without checking anything again.

``gather`` turns the database into one plain dict (the JSON report's body);
the renderers (terminal, JSON, CSV, HTML) only format it, so every report shows
the same numbers.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import sqlite3
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any, TextIO

from ..inputs import Source, to_plain
from ..text import LineIndex, MappedText
from .charts import bar_list_chart, column_chart, line_chart
from .store import now_text, run_is_alive
from .threads import UNKNOWN_AGENT
from .timeutil import from_utc_text
from .timeutil import zone as zone_by_name

WORST_REPLIES = 25
TOP_AGENTS_IN_TRENDS = 5
MAX_TICKETS_IN_HTML = 300
MAX_PROBLEMS_LISTED = 200
EXCERPT_CHARS = 600
ELEMENTS_TITLE = "Share of replies showing each protocol element"
COMPLIANCE_TITLE = "Compliance per protocol element"


def gather(db: sqlite3.Connection, *, rules: Mapping[str, str] | None = None, thread_rules: Mapping[str, str] | None = None,
           element_rules: Mapping[str, Sequence[Sequence[Any]]] | None = None,
           unwanted: tuple[str, ...] = (), neutral: tuple[str, ...] = (), zone: Any = UTC) -> dict[str, Any]:
    """Everything a report shows. ``rules``/``thread_rules`` map rule ids to
    their summaries (the vocabulary); ``element_rules`` maps an element to the
    rules that report its breach, each as [rule id, kinds it looks at (empty:
    all), the element a reply must show for it to look], for compliance; ``unwanted``/``neutral`` say which elements
    the protocol wants absent or has no view on; ``zone`` is the team's time
    zone for weeks."""
    one = lambda sql, *a: db.execute(sql, a).fetchone()[0]
    replies = one("SELECT COUNT(*) FROM results r JOIN messages m ON m.id = r.id WHERE r.error IS NULL")
    scores = [s for (s,) in db.execute("SELECT r.score FROM results r JOIN messages m ON m.id = r.id WHERE r.error IS NULL")]
    summary = {
        "replies": replies,
        "errors": one("SELECT COUNT(*) FROM results WHERE error IS NOT NULL"),
        "customer_messages": one("SELECT COUNT(*) FROM messages WHERE direction = 'customer'"),
        "tickets": one("SELECT COUNT(DISTINCT ticket) FROM messages WHERE ticket IS NOT NULL"),
        "mean_score": round(statistics.fmean(scores), 1) if scores else None,
        "median_score": statistics.median(scores) if scores else None,
        "findings": one("SELECT COUNT(*) FROM findings"),
        "replies_without_findings": one("SELECT COUNT(*) FROM results WHERE error IS NULL AND n_findings = 0"),
        "tickets_with_thread_findings": one("SELECT COUNT(DISTINCT ticket) FROM thread_findings"),
        "thread_findings": one("SELECT COUNT(*) FROM thread_findings"),
        "skipped": one("SELECT COUNT(*) FROM problems"),
    }
    histogram = [0] * 10
    for s in scores:
        histogram[min(int(s) // 10, 9)] += 1
    elements = []
    for key, present, absent in db.execute(
            "SELECT j.key, SUM(j.value IS 1), SUM(j.value IS 0) FROM results r, json_each(r.elements) j"
            " WHERE r.error IS NULL GROUP BY j.key"):
        # The share of replies that show an element says nothing of whether they
        # needed it (eta only after next steps, setup_stated only after "cannot
        # reproduce"...): that is decided inside each rule, so compliance is read
        # from the rules' findings (_compliance).
        applicable = (present or 0) + (absent or 0)
        elements.append({"element": key, "present": present or 0, "applicable": applicable,
                         "share_present": round(100 * (present or 0) / applicable, 1) if applicable else None,
                         "wanted": None if key in neutral else key not in unwanted,
                         **_compliance(db, (element_rules or {}).get(key, ()))})
    order = list(json.loads(db.execute("SELECT elements FROM results WHERE error IS NULL LIMIT 1").fetchone()[0]).keys()) if replies else []
    elements.sort(key=lambda e: order.index(e["element"]) if e["element"] in order else 99)
    rule_rows = [{"rule": r, "severity": sev, "findings": n, "replies": nr, "summary": (rules or {}).get(r, "")}
                 for r, sev, n, nr in db.execute(
                     "SELECT rule, MAX(severity), COUNT(*), COUNT(DISTINCT reply_id) FROM findings GROUP BY rule ORDER BY COUNT(*) DESC")]
    thread_rule_rows = [{"rule": r, "findings": n, "tickets": nt, "summary": (thread_rules or {}).get(r, "")}
                        for r, n, nt in db.execute("SELECT rule, COUNT(*), COUNT(DISTINCT ticket) FROM thread_findings"
                                                   " GROUP BY rule ORDER BY COUNT(*) DESC")]
    agents = _agents(db)
    weeks, agent_weeks = _weeks(db, zone, [a["agent"] for a in agents if a["replies"]][:TOP_AGENTS_IN_TRENDS])
    last_run = db.execute("SELECT id, started_at, finished_at, status, read, checked, unchanged, customer, problems, errors,"
                          " pid, host FROM runs ORDER BY id DESC LIMIT 1").fetchone()
    if last_run and last_run[3] == "running" and not run_is_alive(last_run[10], last_run[11]):
        last_run = (*last_run[:3], "stopped", *last_run[4:])  # killed: its process is gone
    return {
        "generated_at": now_text(),
        # Times in the report data stay UTC ("...Z"); the HTML shows them in this zone.
        "time_zone": zone_name(zone),
        "summary": summary,
        "last_run": dict(zip(("id", "started_at", "finished_at", "status", "read", "checked", "unchanged", "customer",
                              "problems", "errors"), last_run)) if last_run else None,
        "score_histogram": [{"from": i * 10, "to": i * 10 + 9 if i < 9 else 100, "replies": n} for i, n in enumerate(histogram)],
        "elements": elements,
        "rules": rule_rows,
        "thread_rules": thread_rule_rows,
        "agents": agents,
        "weeks": weeks,
        "agent_weeks": agent_weeks,
        "worst": _worst(db),
        "threads": _threads(db),
        "problems": [{"file": f, "line": ln, "why": w} for f, ln, w in
                     db.execute("SELECT file, line, why FROM problems ORDER BY rowid LIMIT ?", (MAX_PROBLEMS_LISTED,))],
        "vocabulary": {"reply_rules": dict(rules or {}), "thread_rules": dict(thread_rules or {})},
    }


def zone_name(zone: Any) -> str:
    """The name ``timeutil.zone`` reads back: the IANA key, or UTC."""
    return getattr(zone, "key", None) or "UTC"


def local_time_text(utc_text: str | None, zone: Any) -> str:
    """A stored UTC time as the team reads it, in the form the thread findings'
    messages use ("2025-07-21 11:00"), so the table and the text agree."""
    moment = from_utc_text(utc_text)
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def _agents(db: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = db.execute("SELECT COALESCE(m.author, ?), COUNT(*), AVG(r.score), SUM(r.n_findings)"
                      " FROM results r JOIN messages m ON m.id = r.id WHERE r.error IS NULL"
                      " GROUP BY 1 ORDER BY COUNT(*) DESC", (UNKNOWN_AGENT,)).fetchall()
    top: dict[str, Counter] = defaultdict(Counter)
    for author, rule, n in db.execute("SELECT COALESCE(m.author, ?), f.rule, COUNT(*) FROM findings f"
                                      " JOIN messages m ON m.id = f.reply_id GROUP BY 1, 2", (UNKNOWN_AGENT,)):
        top[author][rule] = n
    # Every thread finding names its agent (threads.attributed_agent), so these
    # add up to the report's thread findings; an agent with thread findings and
    # no scored reply ("unassigned": nobody replied) gets a row of its own.
    threads = dict(db.execute("SELECT COALESCE(agent, ?), COUNT(*) FROM thread_findings GROUP BY 1",
                              (UNKNOWN_AGENT,)).fetchall())
    out = [{"agent": a, "replies": n, "mean_score": round(avg, 1), "findings": f or 0,
            "findings_per_reply": round((f or 0) / n, 2),
            "top_rule": top[a].most_common(1)[0][0] if top[a] else None, "thread_findings": threads.pop(a, 0)}
           for a, n, avg, f in rows]
    out += [{"agent": a, "replies": 0, "mean_score": None, "findings": 0, "findings_per_reply": None, "top_rule": None,
             "thread_findings": n} for a, n in sorted(threads.items(), key=lambda kv: (-kv[1], kv[0]))]
    return out


def _weeks(db: sqlite3.Connection, zone: Any, agents: list[str]) -> tuple[list[dict[str, Any]], dict[str, list]]:
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    per_agent: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0, 0.0]))
    wanted = set(agents)
    for created, author, score in db.execute(
            "SELECT m.created_at, COALESCE(m.author, ?), r.score FROM results r JOIN messages m ON m.id = r.id"
            " WHERE r.error IS NULL AND m.created_at IS NOT NULL", (UNKNOWN_AGENT,)):
        year, week, _ = from_utc_text(created).astimezone(zone).isocalendar()
        label = f"{year}-W{week:02d}"
        totals[label][0] += 1
        totals[label][1] += score
        if author in wanted:
            per_agent[author][label][0] += 1
            per_agent[author][label][1] += score
    labels = sorted(totals)
    weeks = [{"week": w, "replies": int(totals[w][0]), "mean_score": round(totals[w][1] / totals[w][0], 1)} for w in labels]
    agent_weeks = {a: [{"week": w, "replies": int(per_agent[a][w][0]),
                        "mean_score": round(per_agent[a][w][1] / per_agent[a][w][0], 1) if per_agent[a][w][0] else None}
                       for w in labels] for a in agents}
    return weeks, agent_weeks


def _worst(db: sqlite3.Connection) -> list[dict[str, Any]]:
    out = []
    for rid, ticket, author, created, kind, score, text, fmt, origin in db.execute(
            "SELECT r.id, m.ticket, m.author, m.created_at, r.kind, r.score, m.text, m.format, m.origin FROM results r"
            " JOIN messages m ON m.id = r.id WHERE r.error IS NULL ORDER BY r.score ASC, r.n_findings DESC, r.id LIMIT ?",
            (WORST_REPLIES,)):
        shown = readable_text(text, fmt)
        where = ShownPositions(text, shown)
        findings = [{"rule": r, "severity": s, "message": msg, "line": ln, "column": col, "suggestion": sug,
                     **dict(zip(("excerpt_line", "excerpt_column"), where.line_column(ln, col)))}
                    for r, s, msg, ln, col, sug in db.execute(
                        "SELECT rule, severity, message, line, col, suggestion FROM findings WHERE reply_id = ? ORDER BY pos", (rid,))]
        out.append({"id": rid, "ticket": ticket, "agent": author, "created_at": created, "kind": kind, "score": score,
                    "origin": origin, "format": fmt,
                    "excerpt": shown.text[:EXCERPT_CHARS] + ("..." if len(shown.text) > EXCERPT_CHARS else ""),
                    "findings": findings})
    return out


def readable_text(text: str, fmt: str | None) -> MappedText:
    """A stored reply as a reader sees it: HTML mail and .eml converted to
    text the way the engine does before checking (so never raw tags), with the
    map back to the stored text. The engine already converted this very text
    when it checked the reply, so the conversion cannot fail here."""
    return to_plain(Source("reply", text, fmt or "text"))


class ShownPositions:
    """Findings point at a line and column of the stored reply (the HTML
    source, for HTML mail); this turns them into the line and column of the
    readable text the report shows."""

    def __init__(self, stored: str, shown: MappedText) -> None:
        self.stored = LineIndex(stored)
        self.shown = shown
        self.shown_lines = LineIndex(shown.text)

    def line_column(self, line: int | None, column: int | None) -> tuple[int | None, int | None]:
        if line is None or column is None or not 1 <= line <= len(self.stored.starts):
            return line, column
        index = self.stored.starts[line - 1] + column - 1
        return self.shown_lines.position(self.shown.from_original(index))


def _threads(db: sqlite3.Connection) -> list[dict[str, Any]]:
    tickets: dict[str, list[dict[str, Any]]] = {}
    for ticket, rule, sev, msg, mid, at, agent in db.execute(
            "SELECT ticket, rule, severity, message, message_id, at, agent FROM thread_findings ORDER BY ticket, pos"):
        tickets.setdefault(ticket, []).append({"rule": rule, "severity": sev, "message": msg, "message_id": mid, "at": at,
                                               "agent": agent})
    ranked = sorted(tickets.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    return [{"ticket": t, "findings": f} for t, f in ranked]


# -- JSON -------------------------------------------------------------------------------

# The order of replies in report.json and report.csv: by time, then ticket,
# then id; replies with no time (files in a folder) last. Not the input order:
# a message's seq counts from 0 in every run, so after several runs or inputs it
# would interleave them.
REPLY_ORDER = "m.created_at IS NULL, m.created_at, m.ticket IS NULL, m.ticket, m.id"


def iter_reply_objects(db: sqlite3.Connection) -> Iterator[dict[str, Any]]:
    """Every reply as the JSON contract object (source, kind, score, elements,
    findings) plus where it belongs (id, ticket, agent, created_at), in
    ``REPLY_ORDER``."""
    cur = db.execute("SELECT r.id, m.ticket, m.author, m.created_at, m.origin, r.kind, r.score, r.elements, r.error"
                     f" FROM results r JOIN messages m ON m.id = r.id ORDER BY {REPLY_ORDER}")
    finding_cur = db.cursor()
    for rid, ticket, author, created, origin, kind, score, elements, error in cur:
        base = {"id": rid, "ticket": ticket, "agent": author, "created_at": created, "source": origin}
        if error is not None:
            yield {**base, "error": error}
            continue
        findings = [{"rule": r, "severity": s, "message": msg, "line": ln, "column": col, "end_line": el,
                     "end_column": ec, "suggestion": sug}
                    for r, s, msg, ln, col, el, ec, sug in finding_cur.execute(
                        "SELECT rule, severity, message, line, col, end_line, end_col, suggestion FROM findings"
                        " WHERE reply_id = ? ORDER BY pos", (rid,))]
        yield {**base, "kind": kind, "score": score, "elements": json.loads(elements), "findings": findings}


def write_json(data: Mapping[str, Any], db: sqlite3.Connection, out: TextIO) -> None:
    """The report object, with every reply streamed into ``replies`` (memory
    stays flat for large audits)."""
    head = json.dumps(dict(data), indent=1, ensure_ascii=False)
    out.write(head[:-2].rstrip() + ',\n "replies": [')
    out.writelines(("," if i else "") + "\n  " + json.dumps(obj, ensure_ascii=False) for i, obj in enumerate(iter_reply_objects(db)))
    out.write("\n ]\n}\n")


# -- CSV -------------------------------------------------------------------------------------

CSV_COLUMNS = ("level", "ticket", "id", "agent", "created_at", "kind", "score", "rule", "severity", "message",
               "suggestion", "line", "column")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Neutralise a cell a spreadsheet would run as a formula (CSV injection):
    text starting with = + - @ tab or CR gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def write_csv(db: sqlite3.Connection, out: TextIO) -> None:
    """One row per finding (reply and thread level); a reply without findings
    still gets a row, so the CSV lists every reply. Replies come in
    ``REPLY_ORDER`` (as in report.json), then thread rows by ticket."""
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    cur = db.execute(
        "SELECT m.ticket, r.id, m.author, m.created_at, r.kind, r.score, f.rule, f.severity, f.message, f.suggestion,"
        " f.line, f.col, r.error FROM results r JOIN messages m ON m.id = r.id"
        f" LEFT JOIN findings f ON f.reply_id = r.id ORDER BY {REPLY_ORDER}, f.pos")
    for ticket, rid, author, created, kind, score, rule, sev, msg, sug, line, col, error in cur:
        if error is not None:
            rule, sev, msg = "error", "error", error
        writer.writerow([safe_cell(v) for v in ("reply", ticket, rid, author, created, kind, score, rule, sev, msg, sug, line, col)])
    for ticket, rule, sev, msg, mid, at, agent in db.execute(
            "SELECT t.ticket, t.rule, t.severity, t.message, t.message_id, t.at, t.agent FROM thread_findings t"
            " ORDER BY t.ticket, t.pos"):
        writer.writerow([safe_cell(v) for v in ("thread", ticket, mid, agent, at, None, None, rule, sev, msg, None, None, None)])


# -- HTML ---------------------------------------------------------------------------------------

# The only script in the report: it checks that every chart was laid out and
# drew something, and records the count on <html data-charts-rendered>. The
# browser test reads it. A CSP with this script's hash forbids any other script,
# so even text that slipped through escaping could not run.
RENDER_CHECK_SCRIPT = """
(function () {
  var ok = 0, charts = document.querySelectorAll('svg.chart');
  charts.forEach(function (svg) {
    var box = svg.getBoundingClientRect(), drawn = 0;
    svg.querySelectorAll('rect.bar, rect.bar-ok, rect.bar-bad, rect.bar-neutral, polyline, circle').forEach(function (el) {
      var b = el.getBBox(); if (b.width > 0 || b.height > 0) { drawn++; }
    });
    if (box.width > 0 && box.height > 0 && drawn > 0) { ok++; }
  });
  document.documentElement.setAttribute('data-charts-rendered', ok + '/' + charts.length);
})();
"""


def _compliance(db: sqlite3.Connection, rules: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """Of the replies an element's rules look at, the share with no finding from
    any of them: "missing-eta" and "eta-vague" for eta, each looking at replies
    of its kinds that show next steps (its ``applies-when``), plus any reply they
    found something in. ``rules`` holds [rule id, kinds, applies-when] lists.
    None when no rule on in the run reports the element (info_request...)."""
    if not rules:
        return {"compliance": None, "compliance_replies": 0, "breached": 0, "rules": []}
    ids = [rid for rid, _, _ in rules]
    found = f"r.id IN (SELECT reply_id FROM findings WHERE rule IN ({','.join('?' * len(ids))}))"
    looks, params = [], []
    for _, kinds, when in rules:
        terms = []
        if kinds:
            terms.append(f"r.kind IN ({','.join('?' * len(kinds))})")
            params.extend(kinds)
        if when:
            terms.append("json_extract(r.elements, ?) = 1")
            params.append(f"$.{when}")
        looks.append(" AND ".join(terms) or "1")
    base = "FROM results r JOIN messages m ON m.id = r.id WHERE r.error IS NULL"
    looked_at = db.execute(f"SELECT COUNT(*) {base} AND ({' OR '.join(f'({c})' for c in looks)} OR {found})",
                           [*params, *ids]).fetchone()[0]
    breached = db.execute(f"SELECT COUNT(*) {base} AND {found}", ids).fetchone()[0]
    return {"compliance": round(100 * (looked_at - breached) / looked_at, 1) if looked_at else None,
            "compliance_replies": looked_at, "breached": breached, "rules": ids}

def charts(data: Mapping[str, Any]) -> dict[str, Any]:
    hist = [(f"{b['from']}-{b['to']}", b["replies"]) for b in data["score_histogram"]]
    rules = [(r["rule"], r["findings"]) for r in data["rules"][:15]] + [
        (f"{r['rule']} (thread)", r["findings"]) for r in data["thread_rules"]]
    elements = [e for e in data["elements"] if e["applicable"]]
    shares = [(e["element"], e["share_present"]) for e in elements]
    # The colour says which way the protocol leans on an element, not whether
    # the replies met it: many elements are required only in some replies.
    css = ["bar-neutral" if e["wanted"] is None else "bar-ok" if e["wanted"] else "bar-bad" for e in elements]
    judged = [e for e in data["elements"] if e.get("compliance") is not None]
    compliance = [(e["element"], e["compliance"]) for e in judged]
    compliance_css = ["bar-ok" if round(e["compliance"]) >= 80 else "bar-bad" for e in judged]  # as the label reads
    weeks = [w["week"] for w in data["weeks"]]
    team = ("All replies", [w["mean_score"] for w in data["weeks"]])
    per_agent = [(a, [p["mean_score"] for p in points]) for a, points in data["agent_weeks"].items()]
    return {
        "scores": column_chart("Score distribution", hist, description="Replies per score band (0-100)."),
        "rules": bar_list_chart("Rule frequency", rules, description="Findings per rule; thread rules count per ticket finding."),
        "compliance": bar_list_chart(COMPLIANCE_TITLE, compliance, maximum=100, value_format="{:.0f}%", css=compliance_css,
                                     description="Of the replies an element's rules look at (by kind), the share with "
                                                 "no finding from them (eta: missing-eta and eta-vague; setup_stated: "
                                                 "cannot-reproduce). Red: under 80%."),
        "elements": bar_list_chart(ELEMENTS_TITLE, shares, maximum=100, value_format="{:.0f}%", css=css,
                                   description="Share of replies that show each element, of the replies where it "
                                               "applies. Not compliance: many elements are required only in some "
                                               "replies (compliance is the chart beside it). "
                                               "Green: wanted where required; red: unwanted; grey: neutral."),
        "weeks": line_chart("Mean score per week", weeks, [team], description="Mean reply score per ISO week."),
        "agents": line_chart("Mean score per week, by agent", weeks, per_agent,
                             description=f"The {TOP_AGENTS_IN_TRENDS} agents with the most replies."),
    }


def render_html(data: Mapping[str, Any], title: str = "replylint audit") -> str:
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from markupsafe import Markup

    env = Environment(loader=FileSystemLoader(str(Path(__file__).parent / "templates")),
                      autoescape=select_autoescape(["html", "j2"], default=True), trim_blocks=True, lstrip_blocks=True)
    team_zone = zone_by_name(data.get("time_zone") or "UTC")
    env.filters["local_time"] = lambda utc_text: local_time_text(utc_text, team_zone)
    digest = base64.b64encode(hashlib.sha256(RENDER_CHECK_SCRIPT.encode()).digest()).decode()
    csp = f"default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    return env.get_template("report.html.j2").render(
        title=title, data=data, charts=charts(data), csp=csp, script=Markup(RENDER_CHECK_SCRIPT),
        max_tickets=MAX_TICKETS_IN_HTML)


# -- terminal ----------------------------------------------------------------------------------------

def render_terminal(data: Mapping[str, Any], console: Any, top: int = 10) -> None:
    from rich.table import Table

    s = data["summary"]
    table = Table(title="Audit summary", show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("value", justify="right")
    for label, value in (("Replies checked", s["replies"]), ("Mean score", s["mean_score"]), ("Median score", s["median_score"]),
                         ("Replies without findings", s["replies_without_findings"]), ("Findings", s["findings"]),
                         ("Customer messages (context)", s["customer_messages"]), ("Tickets", s["tickets"]),
                         ("Tickets with thread findings", s["tickets_with_thread_findings"]),
                         ("Replies the engine could not check", s["errors"]), ("Rows/files skipped (see below)", s["skipped"])):
        table.add_row(label, "-" if value is None else str(value))
    console.print(table)
    if data["elements"]:
        t = Table(title=COMPLIANCE_TITLE, title_justify="left",
                  caption="compliance: of the replies the element's rules look at, those with no finding from them",
                  caption_justify="left")
        t.add_column("element")
        t.add_column("compliance", justify="right")
        t.add_column("by rules")
        t.add_column("replies showing it", justify="right")
        t.add_column("protocol")
        for e in data["elements"]:
            leaning = "neutral" if e["wanted"] is None else "wanted" if e["wanted"] else "unwanted"
            comp = "-" if e.get("compliance") is None else f"{e['compliance']:.0f}% of {e['compliance_replies']}"
            t.add_row(e["element"], comp, ", ".join(e.get("rules", ())) or "-",
                      f"{e['share_present'] or 0:.0f}% of {e['applicable']}", leaning)
        console.print(t)
    if data["rules"] or data["thread_rules"]:
        t = Table(title="Top rules", title_justify="left")
        t.add_column("rule")
        t.add_column("level")
        t.add_column("findings", justify="right")
        t.add_column("in", justify="right")
        for r in data["rules"][:top]:
            t.add_row(r["rule"], r["severity"], str(r["findings"]), f"{r['replies']} replies")
        for r in data["thread_rules"]:
            t.add_row(r["rule"], "thread", str(r["findings"]), f"{r['tickets']} tickets")
        console.print(t)
    if data["agents"]:
        t = Table(title="Per agent", title_justify="left")
        for col, just in (("agent", "left"), ("replies", "right"), ("mean score", "right"), ("findings/reply", "right"),
                          ("top rule", "left"), ("thread findings", "right")):
            t.add_column(col, justify=just)
        for a in data["agents"][:top * 2]:
            t.add_row(a["agent"], str(a["replies"]), "-" if a["mean_score"] is None else f"{a['mean_score']:.1f}",
                      "-" if a["findings_per_reply"] is None else f"{a['findings_per_reply']:.2f}",
                      a["top_rule"] or "-", str(a["thread_findings"]))
        console.print(t)
    if data["threads"]:
        t = Table(title=f"Tickets with thread findings ({len(data['threads'])}; first {top})", title_justify="left")
        t.add_column("ticket")
        t.add_column("rules")
        for th in data["threads"][:top]:
            t.add_row(th["ticket"], ", ".join(dict.fromkeys(f["rule"] for f in th["findings"])))
        console.print(t)
    if data["problems"]:
        console.print(f"[bold]Skipped {s['skipped']} rows/files[/bold] (first {min(top, len(data['problems']))}):", highlight=False)
        for p in data["problems"][:top]:
            where = f"{p['file']}:{p['line']}" if p["line"] else p["file"]
            console.print(f"  {where}: {p['why']}", markup=False, highlight=False)
