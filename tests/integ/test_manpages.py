"""The manuals of msmtp-queue and msmtpd against their programs' --help
(issue 20).

A simple cross-check, both ways, on the pages as a reader sees them
(rendered by mandoc):
  - every option `PROG --help` prints, long or short, appears in
    man/PROG.1;
  - every long option named in the page's OPTIONS section (and, for
    msmtp-queue, COMMANDS, where its commands are options) appears in
    --help, so the page documents no option the program lacks.
And each page is clean under `mandoc -Tlint`, but for cross-references
to manuals this machine has not installed (msmtp-queue(1) before
`make install`, crontab(1) without cron), which say nothing about the
page.

The check that every option of each parser's getopt table is in its page
and its --help lives elsewhere; this one reads only what users read.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent.parent
RUN_TIMEOUT = 30

# The program, and the sections of its page that define its options.
PAGES = {
    "msmtp-queue": ("COMMANDS", "OPTIONS"),
    "msmtpd": ("OPTIONS",),
}

LONG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9]")
SHORT = re.compile(r"(?<![\w-])-[A-Za-z](?![\w-])")
HEADING = re.compile(r"^[A-Z][A-Z ]*[A-Z]$")
# Machine-dependent lint: a manual not installed here, or an out-of-date
# mandoc.db. Neither is a fault of the page.
NOT_THE_PAGE = ("referenced manual not found", "outdated mandoc.db")


def mandoc():
    path = shutil.which("mandoc")
    if path is None:
        pytest.fail("mandoc is not installed (tests/deps.sh installs it)",
                    pytrace=False)
    return path


def program(name):
    build = os.environ.get("MSMTP_BUILD")
    if not build:
        pytest.fail("MSMTP_BUILD is not set", pytrace=False)
    path = Path(build).resolve() / name
    if not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing", pytrace=False)
    return str(path)


def help_text(name):
    p = subprocess.run([program(name), "--help"], capture_output=True,
                       timeout=RUN_TIMEOUT, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, (name, p.stderr)
    return p.stdout.decode()


def rendered(name):
    """The page as text: overstrike (bold, underline) removed, and the
    words mandoc broke at a hyphen at the end of a line joined again
    (its widest output, 1000 columns, still wraps long paragraphs)."""
    p = subprocess.run([mandoc(), "-Tascii", "-Owidth=1000",
                        str(REPO / "man" / f"{name}.1")],
                       capture_output=True, timeout=RUN_TIMEOUT)
    assert p.returncode == 0, p.stderr
    text = re.sub(r".\x08", "", p.stdout.decode())
    return re.sub(r"-\n[ \t]+", "-", text)


def sections(text, names):
    """The text of the named sections (their headings at column 0)."""
    out, keep = [], False
    for line in text.splitlines():
        if HEADING.match(line):
            keep = line in names
        elif keep:
            out.append(line)
    return "\n".join(out)


def options(pattern, text):
    return set(pattern.findall(text))


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_help_option_is_in_the_page(name):
    page = rendered(name)
    helped = help_text(name)
    wanted = options(LONG, helped) | options(SHORT, helped)
    assert any(o.startswith("--") for o in wanted), helped
    missing = sorted(wanted - options(LONG, page) - options(SHORT, page))
    assert not missing, f"{name} --help names {missing}, man/{name}.1 not"


@pytest.mark.parametrize("name", sorted(PAGES))
def test_every_option_the_page_defines_is_in_help(name):
    defined = options(LONG, sections(rendered(name), PAGES[name]))
    assert "--help" in defined and "--version" in defined, defined
    extra = sorted(defined - options(LONG, help_text(name)))
    assert not extra, (f"man/{name}.1 documents {extra}, which "
                       f"{name} --help does not know")


@pytest.mark.parametrize("name", sorted(PAGES))
def test_page_is_lint_clean(name):
    p = subprocess.run([mandoc(), "-Tlint", str(REPO / "man" / f"{name}.1")],
                       capture_output=True, timeout=RUN_TIMEOUT)
    found = [line for line in p.stdout.decode().splitlines() +
             p.stderr.decode().splitlines()
             if line and not any(s in line for s in NOT_THE_PAGE)]
    assert not found, "\n".join(found)
