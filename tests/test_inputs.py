"""Reading inputs: formats, quoted history, signatures, masks, and positions that
point into the original file whatever was stripped or converted."""

from __future__ import annotations

import base64
import quopri

import pytest

from replylint.htmltext import html_to_text
from replylint.inputs import InputError, detect_format, read_path, source_from_bytes


def _at(text: str, finding) -> str:
    """The original text at a finding's start."""
    lines = text.splitlines(keepends=True)
    line = lines[finding.line - 1]
    return line[finding.column - 1:]


def test_inputs_html_positions_point_into_the_html(engine):
    html = ('<html><body><div>Hello Ana,</div>\n<div>We will share the patch <b>soon</b>.</div>\n'
            '<blockquote>Please check at your end. We could not reproduce it.</blockquote></body></html>')
    result = engine.check_text(html, name="r.html")
    vague = [f for f in result.findings if f.rule == "eta-vague"]
    assert vague and _at(html, vague[0]).startswith("soon")
    # The customer's quoted text is not the engineer's: no bounce-back, no cannot-reproduce.
    assert result.elements["bounce_back"] is False and result.elements["cannot_reproduce"] is False


def test_inputs_html_entities_and_unbalanced_tags(engine):
    html = "<p>We fixed it&nbsp;in 4.3.0 &amp; released it.<p>Next update by Friday<div><span>"
    result = engine.check_text(html, name="r.html")
    assert result.error is None
    assert result.elements["actions_taken"] is True and result.elements["eta"] is True


def test_inputs_outlook_html_history_after_the_reply_header_is_quoted(engine):
    # Outlook puts "From: / Sent:" in its own div and the customer's message after
    # it, outside any quote element; that message must not count as ours.
    html = ("<div>Hi Karen,<br><br>We will look into this and get back to you.<br><br>Best,<br>Mike</div>"
            "<hr><div id=\"divRplyFwdMsg\"><b>From:</b> Karen Li<br><b>Sent:</b> Thursday, June 13, 2024 2:14 PM<br>"
            "<b>To:</b> Support<br><b>Subject:</b> Reports show wrong totals</div>"
            "<div>Hi,<br>the June totals are off by one day. We checked the time zone setting and it is correct. "
            "Please send us an update by Friday.<br>Karen</div>")
    result = engine.check_text(html, name="r.html")
    assert [s.text for s in result.sentences] == ["We will look into this and get back to you."]
    assert result.elements["actions_taken"] is False and result.elements["info_request"] is False


def test_inputs_html_table_cells_stay_apart(engine):
    html = ("<p>We tested a unit on the same firmware as yours:</p>"
            "<table><tr><th>Model</th><td>EdgeLink R900</td></tr><tr><td>Firmware</td><td>2.14.7</td></tr></table>"
            "<p>It stayed up for 72 hours.</p>")
    text = html_to_text(html).text
    assert "Model\tEdgeLink R900" in text and "Firmware\t2.14.7" in text
    assert "ModelEdgeLink" not in text


def test_inputs_markdown_code_and_logs_are_masked(engine):
    text = ("We checked the logs.\n\n```\nERROR could not reproduce the issue, will update you soon\n```\n\n"
            "    at com.acme.Gateway.refresh(Gateway.java:42)\n")
    result = engine.check_text(text, name="r.md")
    assert result.elements["cannot_reproduce"] is False
    assert not any(f.rule == "eta-vague" for f in result.findings)


def test_inputs_quote_styles_are_history(engine):
    gmail = "Thanks, we are on it.\n\nOn Mon, 3 Jun 2024 at 10:12, Jane <jane@example.com> wrote:\n> We could not reproduce it here.\n"
    outlook = ("Thanks, we are on it.\n\nFrom: Jane Doe <jane@example.com>\nSent: Monday, June 3, 2024 10:12 AM\n"
               "To: Support\nSubject: Crash\n\nWe could not reproduce it here.\n")
    separator = "Thanks, we are on it.\n\n-----Original Message-----\nWe could not reproduce it here.\n"
    for text in (gmail, outlook, separator):
        assert engine.check_text(text).elements["cannot_reproduce"] is False, text


def test_inputs_helpdesk_marker_over_a_mailed_reply_is_skipped_not_history(engine):
    # A helpdesk mails the agent's reply under its "reply above this line"
    # marker: as the first line, it heads the reply; under a customer's answer,
    # everything after it is the history the customer replied to.
    mailed = ("##- Please type your reply above this line -##\n\nHi Marco,\n\n"
              "We could not reproduce it on 4.2.0 with your config.\n\nRegards,\nJulia\n")
    result = engine.check_text(mailed)
    assert [s.text for s in result.sentences] == ["We could not reproduce it on 4.2.0 with your config."]
    assert result.elements["cannot_reproduce"] is True
    answered = ("Thanks, we are on it.\n\n##- Please type your reply above this line -##\n\n"
                "We could not reproduce it on 4.2.0.\n")
    assert engine.check_text(answered).elements["cannot_reproduce"] is False
    # A helpdesk's footer under the reply: "Replies below may be lost" is no hedge of ours.
    footer = ("Could you share the import log from last night, so we can see which batch stalled?\n\n"
              "Please reply above this line. Replies below may be lost.\n")
    assert not any(f.rule == "unstated-assumption" for f in engine.check_text(footer).findings)
    # The words inside a sentence of the reply are no footer (review).
    inline = "We could not reproduce it on 4.2.0.\nReply above this line if you still see it; we will check again by Friday.\n"
    assert engine.check_text(inline).elements["next_steps"] is True


def test_inputs_a_mailed_helpdesk_thread_is_read_as_its_newest_comment(engine):
    # Zendesk's notification: the marker, a notice, then the comments newest
    # first, each under its author's name and date. Only the newest is the reply.
    mailed = ("##- Please type your reply above this line -##\n\n"
              "Your request (48213) has been updated. To add additional comments, reply to this email.\n"
              "----------------------------------------------\n\n"
              "Omar (Acme Support)\n\nNov 26, 2026, 09:20 GMT\n\nHi Dana,\n\n"
              "We could not reproduce the stuck import on 4.2.0 with your settings.\n\nOmar\n\n"
              "----------------------------------------------\n\n"
              "Dana Whitley\n\nNov 26, 2026, 08:02 GMT\n\n"
              "Hello, our import is stuck again. Could you tell me why this keeps happening?\n")
    result = engine.check_text(mailed)
    texts = [s.text for s in result.sentences]
    assert "We could not reproduce the stuck import on 4.2.0 with your settings." in texts
    # A date of the reply's own under the marker is no comment header (review).
    dated = ("##- Please type your reply above this line -##\n\nWe could not reproduce it on 4.2.0.\n\n"
             "Maintenance window\nNov 28, 2026, 22:00 UTC\n\nWe will confirm by Friday that the import runs.\n")
    result_dated = engine.check_text(dated)
    assert result_dated.elements["cannot_reproduce"] is True and result_dated.elements["next_steps"] is True
    assert not any("import is stuck again" in t or "reply to this email" in t for t in texts)
    assert result.elements["cannot_reproduce"] is True and result.elements["info_request"] is False


def test_inputs_a_question_over_a_list_is_its_lead_in_only_when_it_announces_the_items(engine):
    announced = ("Could you send me a few more details?\n\n- the exact time of the failed call\n"
                 "- the number it was made from\n")
    result = engine.check_text(announced)
    asked = [result.sentences[e.sentence].text for e in result.detections["info_request"].evidence]
    assert asked[1:] == ["the exact time of the failed call", "the number it was made from"]
    # A question, then a list of what we did: the items are no asks.
    report = "Did the restart help?\n\n- We cleared the cache on our side.\n- We re-ran the sync at 14:05 and it finished.\n"
    result = engine.check_text(report)
    asked = [result.sentences[e.sentence].text for e in result.detections["info_request"].evidence]
    assert asked == ["Did the restart help?"]


def test_inputs_from_line_in_body_does_not_cut_the_reply(engine):
    text = "From: the gateway log we saw the token expire.\nWe could not reproduce it on 4.2.0.\n"
    assert engine.check_text(text).elements["cannot_reproduce"] is True


def test_inputs_greeting_and_signature_are_not_sentences(engine):
    text = "Hi Priya,\n\nWe could not reproduce it on 4.2.0.\n\nThanks and regards,\nSam\nSupport | Acme, will update you soon\n"
    result = engine.check_text(text)
    texts = [s.text for s in result.sentences]
    assert texts == ["We could not reproduce it on 4.2.0."]


def test_inputs_a_signature_without_a_closing_formula_is_not_the_reply(engine):
    # A helpdesk signature added under the body, no "Regards" before it: its
    # support-hours line is no commitment of this reply's.
    signed = ("Hi Dana, the import worker was stuck on a lock; I cleared the lock and the batch finished at 09:12.\n\n"
              "Omar Haddad\nSupport Engineer | Acme Ltd.\n"
              "Support hours: Mon-Fri 08:00-18:00 CET. We aim to respond to all tickets within 1 business day.\n")
    result = engine.check_text(signed)
    assert [s.text for s in result.sentences][-1].endswith("the batch finished at 09:12.")
    assert result.elements["next_steps"] is False and result.elements["eta"] is False
    # A heading, a product or a colleague over the reply's own text is no signature (review).
    body = "Hi Dana, the import worker was stuck on a lock and I cleared it.\n\n"
    for tail in ("Next Steps\nWe will watch tonight's batch and confirm by Friday that it finished.\n",
                 "Workaround\nSee https://kb.acme.example/123 for the steps.\nWe will deploy the fix on Friday.\n",
                 "Marco\nSupport Team Lead will call you tomorrow at 10:00 to walk through the fix.\n",
                 "Root Cause\nTeam B deployed a config change that removed the lock timeout.\nWe will restore it by Friday.\n",
                 "Callback\nPhone: +1 555 0100 at 10:00 tomorrow; we will call you then.\n"):
        result = engine.check_text(body + tail)
        assert result.elements["next_steps"] is True and result.elements["eta"] is True, tail


def test_inputs_thank_you_after_a_quote_opens_the_reply(engine):
    # "Thanks, Lena." looks like a sign-off, but the whole answer follows it.
    text = ("> The terminal shows 'Host unreachable' every morning.\n\nThanks, Lena.\n\n"
            "I went through the terminal's network log for the last 7 days and found that it loses its DHCP lease at 07:58.\n\n"
            "Could you send the router's DHCP lease time, so we can check it against the 24-hour cycle in the log?\n\n"
            "I will compare it with the log and come back to you by Wednesday.\n\nBest regards,\nTobias\nPOS Support, 2nd line\n")
    result = engine.check_text(text)
    assert result.elements["actions_taken"] and result.elements["info_request"] and result.elements["eta"]
    assert not any("Tobias" in s.text for s in result.sentences)


def test_inputs_courtesy_line_before_the_body_is_not_a_sign_off(engine):
    html = ("<p>Dear Customer,</p><p>Thank you for your patience.</p><p>We built a test environment with BillingCore 6.1.2 "
            "and two rating nodes, imported the CDR sample you provided and ran the invoice job three times; every time "
            "the amount was correct, so we cannot reproduce the double charge.</p><p>Best regards,<br>Wang Fang</p>")
    result = engine.check_text(html, name="r.html")
    assert result.elements["actions_taken"] and result.elements["cannot_reproduce"]


def test_inputs_sign_off_alone_with_short_signature_is_still_a_sign_off(engine):
    text = "> Is the fix in 4.2.1?\n\nRegards,\nSam\nSupport | Acme\n"
    assert engine.check_text(text).sentences == ()


def test_inputs_pasted_chat_transcript_is_quoted_history(engine):
    timed = ("Hi Jonas, pasting our chat from earlier:\n\n"
             "[10:02] Jonas: the app crashed and I could not reproduce it after a restart\n"
             "[10:03] Mia (StrideFit): Could you send the app version? We will fix it by Friday.\n\n"
             "Thanks,\nMia\n")
    marked = ("Here is a copy of today's chat:\n\n[Chat transcript, 12 June]\nLucy: my order never showed up\n"
              "Agent Tom: I've refunded the 22.30 to your card, it will show in 3-5 working days.\n[End of transcript]\n")
    untimed = ("Copy of our call notes:\n\nLucy: my order never showed up\nTom: I've refunded it, you will see it by Friday.\n"
               "Lucy: ok thanks\n")
    for text in (timed, marked, untimed):
        result = engine.check_text(text)
        assert not any(result.elements[k] for k in ("actions_taken", "cannot_reproduce", "info_request", "eta")), text


def test_inputs_status_labels_are_not_a_transcript(engine):
    text = "Status: we reproduced the timeout on 4.2.0.\nCause: the pool is too small.\nETA: the patch ships by Friday 17:00 UTC.\n"
    result = engine.check_text(text)
    assert result.elements["actions_taken"] and result.elements["eta"]


def test_inputs_eml_quoted_printable_and_charset_fallback(engine, tmp_path):
    body = "Hallo J\u00fcrgen,\n\nWe could not reproduce this on 4.2.0.\n\nGr\u00fc\u00dfe\n"
    qp = quopri.encodestring(body.encode("latin-1")).decode("ascii")
    eml = ("From: Support <s@example.com>\nTo: j@example.com\nSubject: Re: crash\nMIME-Version: 1.0\n"
           "Content-Type: text/plain; charset=x-unknown-charset\nContent-Transfer-Encoding: quoted-printable\n\n" + qp)
    path = tmp_path / "reply.eml"
    path.write_bytes(eml.encode("ascii"))
    result = next(engine.check_paths([str(path)]))
    assert result.error is None and result.elements["cannot_reproduce"] is True
    finding = next(f for f in result.findings if f.rule == "cannot-reproduce")
    assert eml.splitlines()[finding.line - 1].startswith("We could not reproduce")


def test_inputs_eml_multipart_html_only(engine, tmp_path):
    html = "<p>Hello,</p><p>We will share the patch soon.</p>"
    eml = ("From: s@example.com\nSubject: x\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=XX\n\n"
           "--XX\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
           + base64.b64encode(html.encode()).decode() + "\n--XX--\n")
    path = tmp_path / "r.eml"
    path.write_text(eml)
    result = next(engine.check_paths([str(path)]))
    assert result.error is None and any(f.rule == "eta-vague" for f in result.findings)


def test_inputs_crlf_keeps_line_numbers(engine):
    text = "Hi,\r\n\r\nWe fixed it.\r\nWe will share the patch soon.\r\n"
    f = next(f for f in engine.check_text(text).findings if f.rule == "eta-vague")
    assert (f.line, f.column) == (4, 25)


def test_inputs_emoji_and_rtl_columns_count_code_points(engine):
    text = "\U0001F600 \u05e9\u05dc\u05d5\u05dd We will share the patch soon."
    f = next(f for f in engine.check_text(text).findings if f.rule == "eta-vague")
    assert text[f.column - 1:].startswith("soon")


def test_inputs_binary_file_is_a_clear_error(tmp_path):
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(InputError, match="binary"):
        read_path(path)


def test_inputs_invalid_utf8_is_read(engine):
    source = source_from_bytes("We fixed it in 4.3.0 \u2013 caf\u00e9.".encode("cp1252"), "r.txt")
    assert "caf\u00e9" in source.text
    assert engine.check_source(source).error is None


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be-bom", "utf-32"])
def test_inputs_unicode_text_saved_by_windows_is_read_by_its_byte_order_mark(engine, tmp_path, encoding):
    """Notepad's and Outlook's "Unicode" text is UTF-16 with a byte-order mark."""
    text = "Hi Zo\u00eb,\r\n\r\nWe fixed it.\r\nWe will share the patch soon.\r\n"
    data = b"\xfe\xff" + text.encode("utf-16-be") if encoding == "utf-16-be-bom" else text.encode(encoding)
    (tmp_path / "r.txt").write_bytes(data)
    result = engine.check_source(read_path(tmp_path / "r.txt"))
    f = next(f for f in result.findings if f.rule == "eta-vague")
    assert result.error is None and (f.line, f.column) == (4, 25)


def test_inputs_one_stray_byte_does_not_turn_a_utf8_file_into_cp1252(engine):
    text = "Gr\u00fc\u00dfe Zo\u00eb, we fixed it for caf\u00e9. We will share the patch soon."
    data = text.encode("utf-8").replace("caf\u00e9".encode("utf-8"), b"caf\xe9")
    source = source_from_bytes(data, "r.txt")
    assert source.text.startswith("Gr\u00fc\u00dfe Zo\u00eb")
    f = next(f for f in engine.check_source(source).findings if f.rule == "eta-vague")
    assert source.text[f.column - 1:].startswith("soon")


def test_inputs_directory_and_missing_file_are_errors(engine, tmp_path):
    results = list(engine.check_paths([str(tmp_path), str(tmp_path / "nope.txt")]))
    assert "is a directory" in results[0].error and "no such file" in results[1].error


def test_inputs_size_limit_is_an_error_not_a_crash(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("x" * 2000)
    with pytest.raises(InputError, match="limit"):
        read_path(path, max_bytes=1000)


def test_inputs_empty_reply_is_a_result(engine):
    result = engine.check_text("")
    assert result.error is None and result.sentences == ()


def test_inputs_format_detection():
    assert detect_format("a.eml", "") == "eml"
    assert detect_format("-", "From: a@b.c\nSubject: x\nMIME-Version: 1.0\n\nbody") == "eml"
    assert detect_format("-", "<div>Hello</div>") == "html"
    assert detect_format("-", "From: the logs we saw\nthat it fails") == "text"


def test_inputs_five_megabyte_reply_with_pasted_log(engine, tmp_path):
    log = "2024-06-01 10:00:01 ERROR com.acme.Gateway - request failed: timeout after 30000 ms on node-2\n"
    text = ("Hi,\n\nWe checked the logs you sent; the gateway times out on node 2. We will send a patch by Friday.\n\n```\n"
            + log * (5_000_000 // len(log)) + "```\n\nRegards,\nSam\n")
    path = tmp_path / "big.md"
    path.write_text(text)
    result = next(engine.check_paths([str(path)]))
    assert result.error is None
    assert result.elements["actions_taken"] and result.elements["eta"] and not result.elements["info_request"]
    assert result.sentences[0].text.startswith("We checked the logs")


def test_inputs_model_that_is_not_installed_is_a_clear_error(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from replylint.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "d.txt").write_text("We fixed it.\n")
    result = CliRunner().invoke(main, ["check", "--model", "en_core_web_nothing", "d.txt"])
    assert result.exit_code == 2 and "not installed" in result.output and "never downloads" in result.output


@pytest.mark.parametrize(("text", "sentences"), [
    # Chat style: an emoji ends the clause as a full stop would, on one line or at a line's end.
    ("just tried it again on my side, can't get it to break 🤷 are you still seeing it?",
     ["just tried it again on my side, can't get it to break 🤷", "are you still seeing it?"]),
    ("works for me on 3.2.1 / Chrome 121 🤔\ncan you try it in an incognito window?",
     ["works for me on 3.2.1 / Chrome 121 🤔", "can you try it in an incognito window?"]),
    ("works fine on our side 🤷\u200d♀️ pls check the proxy", ["works fine on our side 🤷\u200d♀️", "pls check the proxy"]),
    ("restarted the sync :) try again now", ["restarted the sync :)", "try again now"]),
    # An emoji glued to a word, or a line wrapped mid-sentence, is no boundary.
    ("The build✅ passed on 4.2.0 and\nthe deploy is next.", ["The build✅ passed on 4.2.0 and\nthe deploy is next."]),
    # Arrows and ticks stand inside a sentence.
    ("Please open Settings ➜ Billing ➜ Invoices and check the VAT number.",
     ["Please open Settings ➜ Billing ➜ Invoices and check the VAT number."]),
    ("Tests ✔ passed on 4.2.0.", ["Tests ✔ passed on 4.2.0."]),
])
def test_inputs_emoji_ends_a_chat_sentence(engine, text, sentences):
    assert [s.text for s in engine.check_text(text).sentences] == sentences


def test_inputs_chat_question_after_an_emoji_is_a_request(engine):
    result = engine.check_text("just tried it again on my side, can't get it to break 🤷 are you still seeing it?")
    assert result.elements["info_request"] is True and result.elements["cannot_reproduce"] is True


def test_inputs_a_long_run_of_emoji_is_split_at_once():
    # A nested quantifier over overlapping emoji classes once doubled the time per
    # extra heart (seconds at 25). The engine masks such symbol-heavy lines as
    # pasted text first, so the splitter is called directly.
    from replylint.sentences import split_sentences

    text = "We restored the deleted board for you " + "❤️" * 60 + "!"
    assert [s.text for s in split_sentences(text)] == [text]
    assert [s.text for s in split_sentences(text + "x")] == [text + "x"]



QP_PLAIN = ("From: support@example.com\nTo: ana@example.com\nSubject: Re: timeout\nMIME-Version: 1.0\n"
            'Content-Type: text/plain; charset="iso-8859-1"\nContent-Transfer-Encoding: quoted-printable\n\n'
            "Hi Ana,\n\nWe checked the logs for caf=E9 and will get back to you soon.\n\n"
            "Please send the gateway log.\n\n> On Mon, Ana wrote:\n> Please fix soon.\n")
QP_HTML = ("From: support@example.com\nSubject: Re: timeout\nMIME-Version: 1.0\n"
           "Content-Type: multipart/alternative; boundary=XX\n\n--XX\n"
           "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
           "<p>Hi J=C3=BCrgen,</p><p>We checked the logs for caf=C3=A9 and will get back to you =\nsoon.</p>\n"
           "<p>Kind regards,<br>Sam</p>\n--XX--\n")


# A trailing blank after an encoded name: the email package keeps it, so the
# mapping must too, or it falls back to line matching and an earlier line.
QP_TRAILING_BLANK = QP_PLAIN.replace("Hi Ana,\n", "Hi Ren=E9, \n")


@pytest.mark.parametrize(("eml", "newline"), [(QP_PLAIN, "\n"), (QP_PLAIN, "\r\n"), (QP_HTML, "\n"),
                                              (QP_TRAILING_BLANK, "\n")],
                         ids=["plain", "plain-crlf", "html-utf8-soft-break", "trailing-blank"])
def test_inputs_eml_quoted_printable_findings_point_into_the_file(engine, tmp_path, eml, newline):
    path = tmp_path / "reply.eml"
    path.write_bytes(eml.replace("\n", newline).encode("ascii"))
    result = next(engine.check_paths([str(path)]))
    lines = eml.splitlines()
    vague = next(f for f in result.findings if f.rule == "eta-vague")
    assert lines[vague.line - 1][vague.column - 1:].startswith("soon")
    outcome = next(f for f in result.findings if f.rule == "missing-outcome")
    assert lines[outcome.line - 1][outcome.column - 1:].startswith("We checked the logs for caf=")
