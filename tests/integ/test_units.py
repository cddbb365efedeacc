"""The systemd user units in dist/systemd/user (issue 18).

systemd is not PID 1 here, so the units are checked offline with
`systemd-analyze --user verify`, which needs XDG_RUNTIME_DIR to name an
existing directory and the ExecStart binary to exist: each unit is
written as make install writes it (distfiles.py), with @BINDIR@ the
build directory. Any warning (an unknown key, a bad value) fails
the test, as does a unit that does not run what it should.
"""

import configparser
import os
import shutil
import subprocess

import pytest

from distfiles import DIST, installed_text
from test_spool import _build

UNITS = DIST / "systemd" / "user"

pytestmark = pytest.mark.skipif(not shutil.which("systemd-analyze"),
                                reason="needs systemd-analyze")


@pytest.fixture
def units(tmp_path):
    """The units, their paths set to the build's; {name: path}."""
    _, queue = _build()
    out = {}
    for unit in sorted(UNITS.iterdir()):
        out[unit.name] = tmp_path / unit.name
        out[unit.name].write_text(installed_text(
            unit, os.path.dirname(queue), "/nonexistent"))
    return out


def verify(tmp_path, *paths):
    runtime = tmp_path / "runtime"
    runtime.mkdir(exist_ok=True)
    env = {"PATH": "/usr/bin:/bin", "XDG_RUNTIME_DIR": str(runtime),
           "HOME": str(tmp_path), "LC_ALL": "C"}
    return subprocess.run(
        ["systemd-analyze", "--user", "verify", "--man=no",
         "--recursive-errors=yes", *[str(p) for p in paths]],
        capture_output=True, env=env, timeout=60)


def read_unit(path):
    cp = configparser.ConfigParser(interpolation=None, strict=False)
    cp.optionxform = str
    cp.read(path)
    return cp


def test_units_shipped():
    assert sorted(p.name for p in UNITS.iterdir()) == [
        "msmtp-queue-run.service", "msmtp-queue-run.timer",
        "msmtp-queue.service"]


@pytest.mark.parametrize("name", ["msmtp-queue.service",
                                  "msmtp-queue-run.timer"])
def test_verify_passes(units, tmp_path, name):
    p = verify(tmp_path, units[name])
    assert p.returncode == 0 and p.stderr == b"", p.stderr.decode()


def test_verify_catches_a_broken_unit(units, tmp_path):
    """The check itself: a missing binary and an unknown key fail."""
    bad = tmp_path / "broken.service"
    bad.write_text(units["msmtp-queue.service"].read_text().replace(
        "msmtp-queue --daemon", "no-such-program --daemon\nNoSuchKey=1"))
    p = verify(tmp_path, bad)
    assert p.returncode != 0 or p.stderr != b"", p


def test_daemon_service_runs_the_daemon(units):
    _, queue = _build()
    unit = read_unit(units["msmtp-queue.service"])
    assert unit["Service"]["ExecStart"] == f"{queue} --daemon"
    assert unit["Service"]["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert unit["Install"]["WantedBy"] == "default.target"


def test_timer_runs_run_every_few_minutes(units):
    _, queue = _build()
    timer = read_unit(units["msmtp-queue-run.timer"])["Timer"]
    # The timer starts the service of its own name.
    assert "Unit" not in timer
    assert timer["OnUnitActiveSec"] == "5min"
    # Persistent= only acts with OnCalendar= (systemd.timer(5)).
    assert "Persistent" not in timer or "OnCalendar" in timer
    service = read_unit(units["msmtp-queue-run.service"])["Service"]
    assert service["Type"] == "oneshot"
    assert service["ExecStart"] == f"{queue} --run"
