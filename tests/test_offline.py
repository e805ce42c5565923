"""replylint never reaches the network, and never loads NLTK or textstat's
cmudict (textstat >= 0.7.9 would try to download it)."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def _run_blocked(code: str, tmp_path) -> subprocess.CompletedProcess:
    # sitecustomize runs before anything else in the child: every socket that is
    # not a Unix socket fails, so a download attempt fails the run.
    (tmp_path / "sitecustomize.py").write_text(textwrap.dedent("""
        import socket
        _orig = socket.socket.connect
        def _blocked(self, address):
            if self.family != getattr(socket, "AF_UNIX", None):
                raise OSError("network blocked by test: " + repr(address))
            return _orig(self, address)
        socket.socket.connect = _blocked
        socket.create_connection = lambda *a, **k: (_ for _ in ()).throw(OSError("network blocked by test"))
    """))
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False)


def test_offline_check_with_network_blocked_loads_no_nltk(tmp_path):
    code = textwrap.dedent("""
        import sys
        from replylint import check
        long = " ".join(["We analysed the extraordinarily complicated synchronisation behaviour."] * 8)
        result = check("Hi,\\n\\n" + long + " We could not reproduce it on 4.2.0.\\n\\nRegards,\\nSam")
        assert result["elements"]["cannot_reproduce"] is True
        assert any(f["rule"] == "readability" for f in result["findings"]), result["findings"]
        loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("nltk", "textstat", "cmudict"))
        assert not loaded, loaded
        print("ok")
    """)
    proc = _run_blocked(code, tmp_path)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr


def test_offline_cli_with_network_blocked(tmp_path):
    code = textwrap.dedent("""
        import sys
        sys.argv = ["replylint", "check", "--exit-zero", "draft.txt"]
        open("draft.txt", "w").write("We will share the patch soon.\\n")
        from replylint.cli import main
        main()
    """)
    proc = _run_blocked(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "eta-vague" in proc.stdout
