"""The layout's rules, on the built programs and on the sources.

Each directory of src/ is one layer and one static library
($MSMTP_BUILD/lib/lib<dir>.a). msmtp-queue may not carry msmtp's front
end (src/client), msmtpd nothing but its own code and src/util; and
tests/check-deps.sh must refuse an include that breaks the rule, which
is proved by planting one in a copy of the sources.
"""
import os
import shutil
import subprocess

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
CHECK = os.path.join(ROOT, "tests", "check-deps.sh")


def _build():
    build = os.environ.get("MSMTP_BUILD")
    if not build:
        pytest.skip("MSMTP_BUILD is not set")
    return os.path.abspath(build)


def _defined(path):
    """The global symbols path defines (functions and data)."""
    out = subprocess.run(["nm", "--defined-only", "-g", path],
                         capture_output=True, text=True, timeout=60,
                         check=True).stdout
    return {line.split()[-1] for line in out.splitlines()
            if len(line.split()) == 3 and line.split()[1] in "TDBR"}


def _layer_symbols(layer):
    lib = os.path.join(_build(), "lib", "lib%s.a" % layer)
    if not os.path.exists(lib):
        pytest.skip("%s not built" % lib)
    return _defined(lib)


def test_queue_runner_has_no_front_end_symbol():
    front = _layer_symbols("client")
    assert "sendmail_run" in front and "cmdline_parse" in front
    runner = _defined(os.path.join(_build(), "msmtp-queue"))
    assert "runner_import_msmtpq" in runner
    assert sorted(front & runner) == []


@pytest.mark.parametrize("layer", ["client", "runner", "delivery", "queue",
                                   "account", "mail", "smtp"])
def test_msmtpd_carries_only_its_own_and_util(layer):
    msmtpd = _defined(os.path.join(_build(), "msmtpd"))
    assert sorted(_layer_symbols(layer) & msmtpd) == []


def test_front_end_links_no_engine_library():
    """msmtp loads the engine (TLS, SASL, libuv, libidn2) only to send."""
    out = subprocess.run(["readelf", "-d", os.path.join(_build(), "msmtp")],
                         capture_output=True, text=True, timeout=60,
                         check=True).stdout
    for lib in ("libgnutls", "libgsasl", "libuv", "libidn2", "libsecret",
                "libglib"):
        assert lib not in out


def test_check_deps_passes_on_the_tree():
    r = subprocess.run([CHECK, os.path.join(ROOT, "src")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("where,include", [
    ("runner/drain.c", "client/report.h"),
    ("delivery/attempt.c", "runner/runner.h"),
    ("delivery/deliver.h", "client/cmdline.h"),
    ("msmtpd/session.c", "queue/spool.h"),
    ("account/conf.c", "smtp/auth.h"),
    ("mail/headers.h", "account/account.h"),
    ("smtp/session.c", "account/account.h"),
    ("util/buf.c", "smtp/reply.h"),
    ("queue/spool.c", "delivery/attempt.h"),
    ("runner/main.c", "../client/cmdline.h"),
])
def test_check_deps_refuses_a_planted_violation(tmp_path, where, include):
    src = tmp_path / "src"
    shutil.copytree(os.path.join(ROOT, "src"), src)
    with open(src / where, "a") as f:
        f.write('#include "%s"\n' % include)
    r = subprocess.run([CHECK, str(src)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1
    assert where in r.stdout and include in r.stdout


def test_check_deps_refuses_a_directory_without_a_rule(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(os.path.join(ROOT, "src"), src)
    (src / "extra").mkdir()
    (src / "extra" / "x.c").write_text('#include "util/buf.h"\n')
    r = subprocess.run([CHECK, str(src)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1 and "extra" in r.stdout
