"""msmtprc.sample (issue 20): both Debian's msmtp and ours read it.

The sample once set the queue's commands, and Debian's msmtp refused the
whole file ("unknown command delivery_mode"). Those commands have
defaults, so the sample leaves them commented out; uncommented, they
are ours alone.

The sample's passwordeval commands (pass, secret-tool) are scripts on
PATH here, printing a made-up password: -P runs passwordeval, in
msmtp as in ours.
"""

import re
from pathlib import Path

import pytest

from conftest import run

SAMPLE = Path(__file__).resolve().parents[2] / "msmtprc.sample"
EX_OK = 0
EX_CONFIG = 78


def accounts(text):
    return re.findall(r"^account\s+(\S+)", text, re.M)


def commented_commands(text):
    """The commands of the lines the sample leaves commented out."""
    return re.findall(r"^#([a-z_]+) ", text, re.M)


@pytest.fixture
def sample_env(confdir):
    """(confdir, env): a copy of the sample as -C's file, mode 0600, and
    'pass' and 'secret-tool' on PATH."""
    bindir = confdir.root / "bin"
    bindir.mkdir()
    for helper in ("pass", "secret-tool"):
        h = bindir / helper
        h.write_text("#!/bin/sh\necho made-up-password\n")
        h.chmod(0o755)
    confdir.write(SAMPLE.read_text())
    env = confdir.env()
    env["PATH"] = f"{bindir}:{env['PATH']}"
    return confdir, env


def pretend(binary, confdir, env, account):
    return run(binary, ["-C", confdir.rc, "-a", account, "-P"], None, env=env)


def test_sample_names_accounts_and_leaves_the_queue_commented():
    text = SAMPLE.read_text()
    assert {"work", "home", "default"} <= set(accounts(text))
    assert {"queue", "delivery_mode", "queue_file", "queue_lifetime",
            "queue_notify"} <= set(commented_commands(text))
    assert "msmtp(1)" in text


@pytest.mark.parametrize("account", accounts(SAMPLE.read_text()))
@pytest.mark.parametrize("which", ["ref", "ours"])
def test_sample_is_read_by_both(request, sample_env, which, account):
    confdir, env = sample_env
    binary = request.getfixturevalue(which)
    rc, out, err = pretend(binary, confdir, env, account)
    assert b"unknown command" not in err, err
    assert rc == EX_OK, (rc, out, err)
    assert f"using account {account} from".encode() in out, out


def test_queue_commands_uncommented_are_ours_alone(ref, ours, sample_env):
    """Uncommented, the queue's lines are read by ours and refused by
    Debian's msmtp: why the sample leaves them commented out."""
    confdir, env = sample_env
    text = SAMPLE.read_text()
    queue_cmds = set(commented_commands(text))
    confdir.write(re.sub(r"^#([a-z_]+ )", r"\1", text, flags=re.M))
    for account in accounts(text):
        rc, out, err = pretend(ours, confdir, env, account)
        assert rc == EX_OK, (account, rc, out, err)
    rc, out, err = pretend(ref, confdir, env, "work")
    assert rc == EX_CONFIG, (rc, err)
    m = re.search(rb"unknown command (\w+)", err)
    assert m and m.group(1).decode() in queue_cmds, err

