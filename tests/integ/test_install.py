"""make install and make install-mta, as a distribution would run them
(issue 18).

The programs of $MSMTP_BUILD are installed with the repository's Makefile
into a DESTDIR under tmp_path (make's -o keeps it from rebuilding them),
then run from there: the engine must be found where it was installed,
not beside the build's binaries nor at the compiled-in LIBEXECDIR (which
does not exist on this machine). Mail goes through the links a
distribution's MTA package makes (sendmail -t, /usr/lib/sendmail,
mailq) to a RecordingServer on 127.0.0.1, with a private HOME and
~/.msmtprc.

The generic rules for units and hooks (whatever dist/ holds) are checked
on a copy of the Makefile with a made-up dist/ tree, so that they hold
before and after the real units and hooks land.
"""

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import ConfDir, RecordingServer

REPO = Path(__file__).resolve().parent.parent.parent
PROGS = ("msmtp", "msmtp-engine.so", "msmtp-queue", "msmtpd")
PREFIX = "/usr/local"
MAKE_TIMEOUT = 120
RUN_TIMEOUT = 30

MAIL = (b"From: Alice <alice@example.org>\nTo: bob@example.net\n"
        b"Subject: installed\n\nSent by an installed msmtp.\n")


def build_dir():
    build = os.environ.get("MSMTP_BUILD")
    if not build:
        pytest.fail("MSMTP_BUILD is not set", pytrace=False)
    build = os.path.abspath(build)
    for p in PROGS:
        if not os.path.isfile(os.path.join(build, p)):
            pytest.fail(f"{build}/{p} is missing: run make", pytrace=False)
    if os.path.islink(os.path.join(build, "msmtp")):
        pytest.skip("ours is the reference msmtp, which has no install")
    return build


def make_install(srcdir, destdir, *goals, **variables):
    """make GOALS in srcdir into destdir, installing $MSMTP_BUILD's
    programs as they are; the CompletedProcess."""
    build = build_dir()
    argv = ["make", "-C", str(srcdir), "--no-print-directory",
            *goals, f"DESTDIR={destdir}", f"BUILD={build}"]
    argv += [f"{k}={v}" for k, v in variables.items()]
    for p in PROGS:
        argv += ["-o", f"{build}/{p}"]
    # A fresh make, not a child of the make that may run this suite.
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
    p = subprocess.run(argv, env=env, capture_output=True,
                       timeout=MAKE_TIMEOUT)
    assert p.returncode == 0, (argv, p.stdout.decode(), p.stderr.decode())
    return p


@pytest.fixture(scope="module")
def dest(tmp_path_factory):
    """A DESTDIR holding make install-mta's result, default PREFIX."""
    d = tmp_path_factory.mktemp("destdir")
    make_install(REPO, d, "install-mta")
    return d


def inside(dest, path):
    """path (absolute, as installed) inside DESTDIR."""
    return dest / path.lstrip("/")


def mode(p):
    return stat.S_IMODE(os.lstat(p).st_mode)


def test_programs_engine_pages_and_sample_installed(dest):
    for prog in ("msmtp", "msmtp-queue", "msmtpd"):
        p = inside(dest, f"{PREFIX}/bin/{prog}")
        assert p.is_file() and mode(p) == 0o755, p
    engine = inside(dest, f"{PREFIX}/lib/msmtp/msmtp-engine.so")
    assert engine.is_file() and mode(engine) == 0o644
    for page in sorted((REPO / "man").glob("*.1")):
        p = inside(dest, f"{PREFIX}/share/man/man1/{page.name}")
        assert p.read_bytes() == page.read_bytes(), p
    sample = inside(dest, f"{PREFIX}/share/doc/msmtp/msmtprc.sample")
    assert sample.read_bytes() == (REPO / "msmtprc.sample").read_bytes()


def test_mta_links_point_at_msmtp(dest):
    msmtp = inside(dest, f"{PREFIX}/bin/msmtp")
    links = {f"{PREFIX}/sbin/sendmail": "../bin/msmtp",
             "/usr/lib/sendmail": "../local/sbin/sendmail",
             f"{PREFIX}/bin/mailq": "msmtp"}
    for path, target in links.items():
        p = inside(dest, path)
        # Relative, so that they hold in DESTDIR and once installed.
        assert os.readlink(p) == target, path
        assert p.resolve() == msmtp.resolve(), path


def test_distribution_prefix_links(tmp_path):
    """PREFIX=/usr, as Debian builds: /usr/lib/sendmail -> ../sbin."""
    make_install(REPO, tmp_path, "install-mta", PREFIX="/usr")
    assert os.readlink(tmp_path / "usr/lib/sendmail") == "../sbin/sendmail"
    assert os.readlink(tmp_path / "usr/sbin/sendmail") == "../bin/msmtp"
    assert (tmp_path / "usr/lib/msmtp/msmtp-engine.so").is_file()
    assert (tmp_path / "usr/share/doc/msmtp/msmtprc.sample").is_file()


# --------------------------------------------------------------------------
# Running what was installed.

class Installed:
    """The installed programs, a private HOME and its ~/.msmtprc."""

    def __init__(self, dest, root, port):
        self.dest = dest
        self.conf = ConfDir(root)
        self.conf.write("defaults\nauth off\ntls off\nhost 127.0.0.1\n"
                        f"port {port}\n\naccount default\n"
                        "from alice@example.org\n",
                        path=self.conf.home_rc)

    def run(self, path, *args, argv0=None, mail=None):
        exe = inside(self.dest, path)
        argv = [argv0 or os.path.basename(path), *map(str, args)]
        # The build directory is nowhere on the way: no cwd, no PATH.
        return subprocess.run(argv, executable=exe, input=mail,
                              stdin=subprocess.DEVNULL if mail is None
                              else None, capture_output=True,
                              env=self.conf.env(), cwd=self.conf.home,
                              timeout=RUN_TIMEOUT)


def show(p):
    return (f"exit {p.returncode}\nstdout: {p.stdout.decode()!r}\n"
            f"stderr: {p.stderr.decode()!r}")


@pytest.fixture
def installed(dest, tmp_path):
    if os.path.exists(f"{PREFIX}/lib/msmtp/msmtp-engine.so"):
        pytest.fail(f"{PREFIX}/lib/msmtp/msmtp-engine.so exists on this "
                    "machine: the test could not tell where the installed "
                    "msmtp found its engine", pytrace=False)
    with RecordingServer() as srv:
        yield Installed(dest, tmp_path, srv.port), srv


def delivered(srv):
    """Every (mail_from, rcpts, data) the server received."""
    return [t for s in srv.sessions for t in s.transactions]


def test_sendmail_t_through_the_links_delivers(installed):
    """sendmail -t in sbin and in /usr/lib: the installed msmtp loads
    the installed engine and delivers at once."""
    inst, srv = installed
    for link in (f"{PREFIX}/sbin/sendmail", "/usr/lib/sendmail"):
        p = inst.run(link, "-t", mail=MAIL)
        assert p.returncode == 0, show(p)
        assert b"engine" not in p.stderr, show(p)
    srv.wait_closed()
    txns = delivered(srv)
    assert len(txns) == 2, srv.sessions
    for _, rcpts, data in txns:
        assert rcpts == ["bob@example.net"]
        assert b"Sent by an installed msmtp." in data
    p = inst.run(f"{PREFIX}/bin/mailq")
    assert p.returncode == 0, show(p)
    assert b"bob@example.net" not in p.stdout, show(p)


def test_mailq_lists_and_installed_queue_flushes(installed):
    """sendmail -odq spools; mailq (a link to msmtp) lists it; the
    installed msmtp-queue sends it."""
    inst, srv = installed
    p = inst.run(f"{PREFIX}/sbin/sendmail", "-odq", "-t", mail=MAIL)
    assert p.returncode == 0, show(p)
    assert delivered(srv) == []
    p = inst.run(f"{PREFIX}/bin/mailq")
    assert p.returncode == 0, show(p)
    assert b"bob@example.net" in p.stdout, show(p)
    p = inst.run(f"{PREFIX}/bin/msmtp-queue", "--flush")
    assert p.returncode == 0, show(p)
    srv.wait_closed()
    assert [t[1] for t in delivered(srv)] == [["bob@example.net"]]
    p = inst.run(f"{PREFIX}/bin/mailq")
    assert p.returncode == 0 and b"bob@example.net" not in p.stdout, show(p)


def test_installed_msmtpd_runs(installed):
    inst, _ = installed
    p = inst.run(f"{PREFIX}/bin/msmtpd", "--version")
    assert p.returncode == 0, show(p)


# --------------------------------------------------------------------------
# Units and hooks: whatever dist/ holds.

UNIT = "[Service]\nExecStart=@BINDIR@/msmtp-queue --daemon\n"
HOOK = "#!/bin/sh\nexec @BINDIR@/msmtp-queue --flush # @SYSCONFDIR@\n"


def test_units_and_hooks_from_dist(tmp_path):
    """A made-up dist/ tree: each unit in the user unit directory, each
    hook in its manager's directory, mode 0755, paths substituted."""
    src = tmp_path / "src"
    src.mkdir()
    for f in ("Makefile", "msmtprc.sample"):
        shutil.copy(REPO / f, src / f)
    shutil.copytree(REPO / "man", src / "man")
    files = {
        "dist/systemd/user/msmtp-queue.service": UNIT,
        "dist/systemd/user/msmtp-queue-run.timer": "[Timer]\n",
        "dist/systemd/user/README": "not a unit\n",
        "dist/hooks/nm/50-msmtp-queue": HOOK,
        "dist/hooks/ifupdown/msmtp-queue": HOOK,
        "dist/hooks/networkd/msmtp-queue": HOOK,
        "dist/hooks/msmtp-queue-netup": HOOK,
        "dist/hooks/README.md": "not a hook\n",
    }
    for name, text in files.items():
        (src / name).parent.mkdir(parents=True, exist_ok=True)
        (src / name).write_text(text)
    dest = tmp_path / "dest"
    make_install(src, dest, "install", PREFIX="/usr", SYSCONFDIR="/etc")
    units = dest / "usr/lib/systemd/user"
    assert sorted(os.listdir(units)) == ["msmtp-queue-run.timer",
                                         "msmtp-queue.service"]
    assert (units / "msmtp-queue.service").read_text() == \
        "[Service]\nExecStart=/usr/bin/msmtp-queue --daemon\n"
    assert mode(units / "msmtp-queue.service") == 0o644
    hook = "#!/bin/sh\nexec /usr/bin/msmtp-queue --flush # /etc\n"
    for path in ("etc/NetworkManager/dispatcher.d/50-msmtp-queue",
                 "etc/network/if-up.d/msmtp-queue",
                 "etc/networkd-dispatcher/routable.d/msmtp-queue",
                 "usr/lib/msmtp/msmtp-queue-netup"):
        assert (dest / path).read_text() == hook, path
        assert mode(dest / path) == 0o755, path
    assert sorted(os.listdir(dest / "usr/lib/msmtp")) == [
        "msmtp-engine.so", "msmtp-queue-netup"]


def test_real_dist_files_installed(dest):
    """The repository's own units and hooks, where they are."""
    placed = {"dist/systemd/user": f"{PREFIX}/lib/systemd/user",
              "dist/hooks/nm": "/etc/NetworkManager/dispatcher.d",
              "dist/hooks/ifupdown": "/etc/network/if-up.d",
              "dist/hooks/networkd": "/etc/networkd-dispatcher/routable.d"}
    for src, target in placed.items():
        for f in sorted((REPO / src).glob("*")):
            if src.endswith("user") and f.suffix not in (".service",
                                                         ".timer"):
                continue
            if f.is_file():
                assert inside(dest, f"{target}/{f.name}").is_file(), f
