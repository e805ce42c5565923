"""Benchmark `replylint audit`: generate N replies (default 100,000; median
~130 words) from templates as a JSONL ticket export, run the audit end to end
into SQLite in a subprocess, and report replies/s and peak RSS.

    python bench/bench_audit.py                       # 100k replies, --jobs = all cores, 3 runs
    python bench/bench_audit.py -n 20000 --jobs 2 --runs 3
    python bench/bench_audit.py --generate-only export.jsonl -n 1000

Every run starts from an empty database (the first-audit figure); a further
timed re-run of the same export measures the "unchanged" path. Reported figures
are medians over --runs. The peak RSS is the largest resident set of the audit
process and its workers (sampled from /proc every 50 ms), summed at each sample.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

AGENTS = ["Nadeesha", "Sam", "Priya", "Omar", "Li Wei", "Kasun", "Maria", "Tom"]
CUSTOMERS = ["Rahul", "Anna", "John", "Fatima", "Chen", "Olga", "Pedro", "Aisha"]
PRODUCTS = ["API Manager", "Identity Server", "Micro Integrator", "Streaming Integrator"]
PARTS = ["token endpoint", "gateway", "key manager", "publisher portal", "analytics worker", "admin console",
         "SAML SSO flow", "JDBC user store", "throttling policy", "OAuth2 introspection"]
GREETINGS = ["Hi {c},", "Hello {c},", "Dear {c},", "Hi {c}!"]
SIGNOFFS = ["Best regards,\n{a}\nTechnical Support", "Thanks,\n{a}", "Regards,\n{a}\nSupport Engineer", "Cheers,\n{a}"]
ACTIONS = [
    "We set up a {n}-node cluster on {p} {v} with update level {u} and replayed your request against the {part}.",
    "I went through the logs you attached and compared the {part} timings with a clean {p} {v} setup.",
    "Our team reviewed the configuration you shared and tested the {part} with the same settings on {v}.",
    "We applied update level {u} to a standalone {p} {v} pack and ran the scenario {n} times.",
    "I checked the thread dumps from node {n} and traced the calls that go through the {part}.",
]
OUTCOMES = [
    "The error only appears when the cache is disabled on the {part}.",
    "The token refresh succeeded on both nodes, so the {part} itself is not the cause.",
    "The root cause is a missing index on the table that the {part} queries on every call.",
    "The request reaches the {part} but times out after {n} seconds while waiting for the database.",
    "We could not reproduce the failure on our side.",
    "It works fine in our environment.",
]
NEXT = [
    "Next, we will test the same flow with your keystore and share the results by {day}.",
    "Our team is preparing a patch for the {part} and we expect to share it within {n} business days.",
    "We will run the load test again with your throttling settings and update you tomorrow EOD.",
    "We will look into it further and get back to you soon.",
    "We will check this with the product team and update you.",
    "I will prepare a fix and send it to you by {day} 17:00 IST.",
]
REQUESTS = [
    "Could you share the carbon log from node {n} so we can check whether the request reaches the {part}?",
    "Please send the deployment.toml of the gateway.",
    "Could you share the output of java -version so we can compare the JDK with ours?",
    "Please check this at your end and let us know.",
    "Could you take a thread dump while the request hangs, so we can see which call blocks?",
    "Please share the HAR file of the failing login.",
]
FILLER = [
    "Thank you for the detailed description of the problem and for your patience while we looked into it.",
    "As discussed in the call, this affects the production environment only during peak hours.",
    "We understand that this is blocking your release, and we are treating it as a priority.",
    "For reference, the same behaviour was reported for the {part} in an older version.",
    "Assuming you are on update level {u}, the fix for the related issue is already included.",
    "This should be resolved once the configuration change is applied to all nodes.",
]
CUSTOMER_MSGS = [
    "Hi team, the {part} still fails after the restart. Any update on this? It is blocking our release.",
    "Hello, I have attached the logs you asked for. Please let us know what you find.",
    "We tried the workaround but the issue persists on node {n}. Could you check again?",
    "Thanks for the update. When can we expect the fix?",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]


def _fill(template: str, rng: random.Random) -> str:
    return template.format(c=rng.choice(CUSTOMERS), a=rng.choice(AGENTS), p=rng.choice(PRODUCTS), part=rng.choice(PARTS),
                           v=f"{rng.randint(3, 5)}.{rng.randint(0, 9)}.{rng.randint(0, 3)}", u=rng.randint(1, 120),
                           n=rng.randint(2, 9), day=rng.choice(DAYS))


def make_reply(rng: random.Random) -> str:
    """One reply of roughly 60-250 words (median ~130): greeting, some of
    actions/outcomes/next steps/requests/filler, sign-off."""
    body: list[str] = []
    for pool, chance, most in ((FILLER, 0.9, 3), (ACTIONS, 0.85, 3), (OUTCOMES, 0.8, 2), (NEXT, 0.8, 2), (REQUESTS, 0.6, 3),
                               (FILLER, 0.6, 2)):
        if rng.random() < chance:
            body.extend(_fill(t, rng) for t in rng.sample(pool, rng.randint(1, most)))
    paragraphs, current = [], []
    for sentence in body:
        current.append(sentence)
        if rng.random() < 0.4:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join([_fill(rng.choice(GREETINGS), rng), *paragraphs, _fill(rng.choice(SIGNOFFS), rng)])


def generate(path: Path, n_replies: int, seed: int = 7) -> dict[str, int]:
    """A JSONL export: tickets of 1-6 replies, customer messages between them."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
    replies = customers = ticket = 0
    words: list[int] = []
    with path.open("w", encoding="utf-8") as fh:
        while replies < n_replies:
            ticket += 1
            at = start + timedelta(hours=rng.randint(0, 24 * 180))
            agent = rng.choice(AGENTS)
            for turn in range(rng.randint(1, 6)):
                if replies >= n_replies:
                    break
                if turn == 0 or rng.random() < 0.7:
                    customers += 1
                    fh.write(json.dumps({"message_id": f"m{ticket}-{turn}c", "ticket_id": f"T{ticket}", "author": "customer",
                                         "from_role": "customer", "created": at.isoformat(),
                                         "body": _fill(rng.choice(CUSTOMER_MSGS), rng)}) + "\n")
                    at += timedelta(hours=rng.randint(1, 40))
                text = make_reply(rng)
                words.append(len(text.split()))
                replies += 1
                fh.write(json.dumps({"message_id": f"m{ticket}-{turn}a", "ticket_id": f"T{ticket}", "author": agent,
                                     "from_role": "agent", "created": at.isoformat(), "body": text,
                                     "status": "solved" if rng.random() < 0.15 else "open"}) + "\n")
                at += timedelta(hours=rng.randint(2, 60))
    return {"replies": replies, "customer_messages": customers, "tickets": ticket,
            "median_words": int(statistics.median(words)) if words else 0}


MAP = "text=body,agent=author,ticket=ticket_id,created_at=created,id=message_id,direction=from_role,status=status"


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and its children (Linux /proc)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def timed_audit(export: Path, db: Path, jobs: int | None, extra: list[str] = ()) -> tuple[float, int, float]:
    """Wall seconds, peak RSS (KB) of the audit and its workers, and the CPU
    seconds they used together (the audit waits for its workers, so their time
    reaches us through the audit process)."""
    cmd = [sys.executable, "-c", "from replylint.cli import main; main()", "audit", "run", str(export), "--db", str(db), "--map", MAP,
           "--no-progress", "--quiet", *extra]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    cpu_before = _children_cpu()
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, _tree_rss_kb(proc.pid))
        time.sleep(0.05)
    seconds = time.perf_counter() - started
    err = proc.stderr.read()
    if proc.returncode != 0:
        raise SystemExit(f"audit failed ({proc.returncode}):\n{err}")
    return seconds, peak, _children_cpu() - cpu_before


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--replies", type=int, default=100_000)
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--generate-only", type=Path, help="only write the export to this path")
    ap.add_argument("--keep", type=Path, help="keep the work folder here")
    args = ap.parse_args()
    if args.generate_only:
        print(json.dumps(generate(args.generate_only, args.replies, args.seed)))
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="replylint-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    export = work / "export.jsonl"
    shape = generate(export, args.replies, args.seed)
    print(f"export: {shape} ({export.stat().st_size / 1e6:.1f} MB); cores: {os.cpu_count()}; jobs: {args.jobs or 'all cores'}")
    firsts, peaks, reruns, cpu_ms = [], [], [], []
    for run in range(args.runs):
        db = work / f"audit-{run}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        seconds, peak, cpu = timed_audit(export, db, args.jobs)
        firsts.append(args.replies / seconds)
        peaks.append(peak)
        cpu_ms.append(cpu * 1000 / args.replies)
        print(f"run {run + 1}: first audit {seconds:.1f} s = {args.replies / seconds:,.0f} replies/s, peak RSS {peak / 1024:.0f} MB, "
              f"CPU {cpu:.1f} s = {cpu_ms[-1]:.2f} ms a reply (all processes)")
        seconds, _, _ = timed_audit(export, db, args.jobs)
        reruns.append(seconds)
        print(f"run {run + 1}: re-audit (unchanged) {seconds:.1f} s")
    print(f"MEDIAN first audit: {statistics.median(firsts):,.0f} replies/s end to end "
          f"({args.replies:,} replies, median {shape['median_words']} words); "
          f"re-audit: {statistics.median(reruns):.1f} s; peak RSS {statistics.median(peaks) / 1024:.0f} MB; "
          f"CPU {statistics.median(cpu_ms):.2f} ms a reply")


if __name__ == "__main__":
    main()
