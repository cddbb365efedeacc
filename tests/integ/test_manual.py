"""The manual checks (issue 20): tests/check-man.py, which make check
runs as check-man, passes on the tree and names what is missing when a
page or a --help falls behind its parser.

The plants work on copies: of man/ (a command's item removed, a broken
macro), and of the parsers' sources (an option added that neither the
page nor the built --help knows).

The example configurations of msmtp(1) are read by our msmtp, and by
Debian's msmtp unless they use this project's queue commands.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import run

ROOT = Path(__file__).resolve().parents[2]
CHECKER = ROOT / "tests" / "check-man.py"
SOURCES = ["src/client/cmdline.c", "src/runner/main.c", "src/msmtpd/opts.c",
           "src/account/conf_cmds.c"]


def build_dir():
    build = os.environ.get("MSMTP_BUILD")
    if not build:
        pytest.fail("MSMTP_BUILD is not set", pytrace=False)
    return build


def check_man(*args):
    p = subprocess.run([sys.executable, str(CHECKER), "--build", build_dir(),
                        *map(str, args)], capture_output=True, text=True,
                       timeout=120)
    return p.returncode, p.stdout + p.stderr


@pytest.fixture
def man_copy(tmp_path):
    d = tmp_path / "man"
    shutil.copytree(ROOT / "man", d)
    return d


@pytest.fixture
def src_copy(tmp_path):
    d = tmp_path / "tree"
    for f in SOURCES:
        (d / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / f, d / f)
    return d


def result_of(out, check):
    """The lines of one check's report, e.g. 'msmtp: lint'."""
    m = re.search(r"^check-man: %s: .*?(?=^check-man: |\Z)" %
                  re.escape(check), out, re.M | re.S)
    assert m, (check, out)
    return m.group(0)


def test_tree_passes():
    rc, out = check_man()
    assert rc == 0, out
    for check in ("lint", "options in the manual", "options in --help",
                  "msmtprc commands in the manual"):
        assert result_of(out, "msmtp: " + check).rstrip().endswith(": ok"), \
            out


def test_a_command_missing_from_msmtp_1_is_named(man_copy):
    page = man_copy / "msmtp.1"
    text = page.read_text()
    assert ".It Ic queue_lifetime" in text
    page.write_text(re.sub(r"^\.It Ic queue_lifetime.*\n", ".It\n", text,
                           flags=re.M))
    rc, out = check_man("--man", man_copy)
    assert rc == 1, out
    report = result_of(out, "msmtp: msmtprc commands in the manual")
    assert "FAIL" in report and "queue_lifetime" in report, out


def test_an_option_missing_from_page_and_help_is_named(src_copy):
    cmdline = src_copy / "src/client/cmdline.c"
    text = cmdline.read_text()
    anchor = '\t{ "help", no_argument, NULL, O_HELP },\n'
    assert anchor in text
    cmdline.write_text(text.replace(
        anchor, anchor + '\t{ "frobnicate", no_argument, NULL, O_HELP },\n'))
    rc, out = check_man("--src", src_copy, "--man", ROOT / "man")
    assert rc == 1, out
    for check in ("options in the manual", "options in --help"):
        report = result_of(out, "msmtp: " + check)
        assert "FAIL" in report and "--frobnicate" in report, out


def test_a_sendmail_form_missing_from_the_page_is_named(man_copy):
    """-odq is the value of -o that the parser's modes[] table gives a
    meaning: the page must have it as an item of its own."""
    page = man_copy / "msmtp.1"
    text = page.read_text()
    assert "\n.It Fl odq\n" in text
    page.write_text(text.replace("\n.It Fl odq\n", "\n.It Fl odx\n"))
    rc, out = check_man("--man", man_copy)
    assert rc == 1, out
    report = result_of(out, "msmtp: options in the manual")
    assert re.search(r"^\s+-odq$", report, re.M), out


def test_lint_message_is_shown(man_copy):
    page = man_copy / "msmtp.1"
    page.write_text(page.read_text().replace(".Sh EXAMPLES\n",
                                             ".Sh EXAMPLES\n.Bl -tag\n", 1))
    rc, out = check_man("--man", man_copy)
    assert rc == 1, out
    report = result_of(out, "msmtp: lint")
    assert "FAIL" in report and "msmtp.1:" in report, out


def test_a_table_the_checker_cannot_find_is_an_error(src_copy):
    """A renamed table stops the checker (exit 2) rather than letting
    every option pass unseen."""
    cmdline = src_copy / "src/client/cmdline.c"
    cmdline.write_text(cmdline.read_text().replace("conf_options[]",
                                                   "conf_opts[]"))
    rc, out = check_man("--src", src_copy, "--man", ROOT / "man")
    assert rc == 2, out
    assert "conf_options" in out and "tests/check-man.py" in out, out


# --------------------------------------------------------------------------
# The page's example configurations are files both programs read.

PROJECT_COMMANDS = re.compile(r"(queue\w*|delivery_mode|rmqs|oauth2_\w+)$")


def example_files():
    """Each '.Bd -literal' block of msmtp(1) that is an msmtprc (it has
    an 'account' line), as text."""
    text = (ROOT / "man" / "msmtp.1").read_text()
    blocks = re.findall(r"^\.Bd -literal[^\n]*\n(.*?)^\.Ed$", text,
                        re.M | re.S)
    files = []
    for b in blocks:
        b = b.replace("\\e", "\\").replace("\\&", "")
        if re.search(r"^account \S", b, re.M):
            files.append(b)
    return files


def test_the_page_has_example_files():
    assert len(example_files()) >= 5


@pytest.mark.parametrize("n", range(len(example_files())))
def test_example_file_is_read(ref, ours, confdir, n):
    """Every account of each example: ours reads it (-P); Debian's msmtp
    too, unless the example uses this project's commands, the only ones
    it may call unknown. passwordeval commands (helpers not installed
    here) are replaced by echo."""
    text = re.sub(r"^passwordeval .*$", "passwordeval echo made-up",
                  example_files()[n], flags=re.M)
    confdir.write(text)
    env = confdir.env()
    uses_ours = any(PROJECT_COMMANDS.match(line.split()[0])
                    for line in text.splitlines()
                    if line and not line.startswith("#"))
    for account in re.findall(r"^account (\S+)", text, re.M):
        rc, out, err = run(ours, ["-C", confdir.rc, "-a", account, "-P"],
                           None, env=env)
        assert rc == 0, (account, text, err)
        rc, out, err = run(ref, ["-C", confdir.rc, "-a", account, "-P"],
                           None, env=env)
        if not uses_ours:
            assert rc == 0, (account, text, err)
            continue
        m = re.search(rb"unknown command (\w+)", err)
        assert m and PROJECT_COMMANDS.match(m.group(1).decode()), err
