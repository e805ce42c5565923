"""Does a reply's verdict survive being sent as real mail?

Takes the plain-text replies of labelled corpus files and dresses each one the
way mail clients and help desks send it: with the customer's message quoted
under it (Gmail's "On ... wrote:" and ">" lines, Outlook's "-----Original
Message-----" block), as Outlook and Gmail HTML bodies, and as whole .eml
messages (multipart/alternative with a quoted-printable text part and a base64
HTML part; HTML only). The quoted customer message is built to trip every
element if it were read as ours: it asks, reports attempts, fails to reproduce,
promises a date, hands the work back and states an assumption.

For each dress it counts the replies whose kind or any element differs from the
plain text's, and names which. Nothing here is used at run time.

    python tools/measure_format_invariance.py                    # the held-out split
    python tools/measure_format_invariance.py corpus/dev.jsonl --show 5
"""

from __future__ import annotations

import argparse
import base64
import html
import quopri
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from replylint.engine import Engine
from replylint.evaluate import read_labelled
from replylint.inputs import Source

CUSTOMER_MESSAGE = (
    "Hi team,",
    "We tried restarting the service twice and it did not help. Could you please send us the logs from your side?",
    "I cannot reproduce it on my own laptop, only on the office machines. We will have an update for you by Friday.",
    "Can you check at your end and let us know the fix by tomorrow? I assume the cache is the problem.",
    "Thanks,",
    "Maria Keller",
)
WROTE = "On Tue, 4 Mar 2025 at 09:12, Maria Keller <maria@example.com> wrote:"
OUTLOOK_HEADER = ("From: Maria Keller <maria@example.com>", "Sent: Tuesday, March 4, 2025 9:12 AM",
                  "To: Support <support@vendor.example>", "Subject: RE: [#48213] Export fails")


def gmail_text(reply: str) -> str:
    quoted = "\n".join("> " + line for line in CUSTOMER_MESSAGE)
    return f"{reply.rstrip()}\n\n{WROTE}\n{quoted}\n"


def outlook_text(reply: str) -> str:
    header = "\n".join(OUTLOOK_HEADER)
    return f"{reply.rstrip()}\n\n-----Original Message-----\n{header}\n\n" + "\n".join(CUSTOMER_MESSAGE) + "\n"


def outlook_html(reply: str) -> str:
    # Word's HTML: one MsoNormal paragraph per line, &nbsp; for a blank one,
    # the quoted message after a bordered From:/Sent: block, no <blockquote>.
    def para(line: str) -> str:
        body = html.escape(line).replace("  ", " &nbsp;") if line.strip() else "&nbsp;"
        return f'<p class="MsoNormal"><span style="font-size:11.0pt">{body}<o:p></o:p></span></p>'

    header = "<br>".join(f"<b>{html.escape(k)}:</b>{html.escape(v)}" for k, v in (h.split(":", 1) for h in OUTLOOK_HEADER))
    return ('<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>'
            '<meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            "<style><!-- p.MsoNormal {margin:0cm;font-size:11.0pt;} --></style></head>"
            '<body lang="EN-US"><div class="WordSection1">'
            + "\n".join(para(line) for line in reply.split("\n"))
            + '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
            '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
            f'<p class="MsoNormal">{header}</p></div>'
            + "".join(para(line) for line in CUSTOMER_MESSAGE)
            + "</div></body></html>")


def gmail_html(reply: str) -> str:
    lines = "".join(f"<div>{html.escape(line)}</div>" if line.strip() else "<div><br></div>" for line in reply.split("\n"))
    quoted = "<br>".join(html.escape(line) for line in CUSTOMER_MESSAGE)
    return (f'<div dir="ltr">{lines}</div><br><div class="gmail_quote">'
            f'<div dir="ltr" class="gmail_attr">{html.escape(WROTE)}<br></div>'
            '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);'
            f'padding-left:1ex">{quoted}</blockquote></div>')


def _eml(content_type_and_body: str) -> str:
    return ("From: Support <support@vendor.example>\nTo: Maria Keller <maria@example.com>\n"
            "Subject: RE: [#48213] Export fails\nDate: Tue, 4 Mar 2025 10:30:00 +0000\nMIME-Version: 1.0\n"
            + content_type_and_body)


def multipart_eml(reply: str) -> str:
    plain = quopri.encodestring(gmail_text(reply).encode("utf-8")).decode("ascii")
    rich = base64.encodebytes(gmail_html(reply).encode("utf-8")).decode("ascii")
    return _eml('Content-Type: multipart/alternative; boundary="part"\n\n'
                '--part\nContent-Type: text/plain; charset="utf-8"\nContent-Transfer-Encoding: quoted-printable\n\n'
                f"{plain}\n--part\nContent-Type: text/html; charset=\"utf-8\"\nContent-Transfer-Encoding: base64\n\n"
                f"{rich}\n--part--\n")


def html_only_eml(reply: str) -> str:
    rich = base64.encodebytes(outlook_html(reply).encode("utf-8")).decode("ascii")
    return _eml(f'Content-Type: text/html; charset="utf-8"\nContent-Transfer-Encoding: base64\n\n{rich}\n')


DRESSES = {
    "text, Gmail quote": (gmail_text, "text"),
    "text, Outlook quote": (outlook_text, "text"),
    "Outlook HTML": (outlook_html, "html"),
    "Gmail HTML": (gmail_html, "html"),
    "multipart .eml": (multipart_eml, "eml"),
    "HTML-only .eml": (html_only_eml, "eml"),
}


def verdict(result) -> tuple:
    return result.error, result.kind, tuple(sorted((k, bool(v)) for k, v in result.elements.items()))


def differences(plain, dressed) -> list[str]:
    """What a dressed reply's verdict changed: 'error', 'kind' or element keys."""
    if dressed.error != plain.error:
        return ["error"]
    changed = ["kind"] if dressed.kind != plain.kind else []
    return changed + [k for k in plain.elements if bool(plain.elements[k]) != bool(dressed.elements.get(k))]


def measure(engine: Engine, replies: list[tuple[str, str]]) -> dict[str, dict[str, list[str]]]:
    """{dress: {reply id: what changed}} for replies given as (id, plain text)."""
    plain = list(engine.check_sources([Source(rid, text, "text") for rid, text in replies]))
    changes = {}
    for name, (dress, fmt) in DRESSES.items():
        dressed = engine.check_sources([Source(rid, dress(text), fmt) for rid, text in replies])
        changes[name] = {rid: diff for (rid, _), p, d in zip(replies, plain, dressed) if (diff := differences(p, d))}
    return changes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path, default=[ROOT / "corpus" / "heldout.jsonl"])
    parser.add_argument("--show", type=int, default=0, metavar="N", help="name up to N changed replies per dress")
    args = parser.parse_args()
    replies = [(str(r["id"]), r["text"]) for f in args.files for r in read_labelled(f) if r.get("format", "text") == "text"]
    changes = measure(Engine(), replies)
    print(f"{len(replies)} plain-text replies from {', '.join(str(f) for f in args.files)}")
    print(f"{'dress':22s} {'changed':>8s}  what changed")
    for name, changed in changes.items():
        what = Counter(k for diff in changed.values() for k in diff)
        print(f"{name:22s} {len(changed):>8d}  " + ", ".join(f"{k} {n}" for k, n in what.most_common()))
        for rid in list(changed)[: args.show]:
            print(f"{'':24s}{rid}: {', '.join(changed[rid])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
