"""msmtp --configure=ADDRESS, msmtp 1.8's automatic set-up, against
Debian's msmtp: each program runs in a mount namespace whose
/etc/resolv.conf names a DNS server this test runs on a loopback
address (dnssrv.py, serving each case's SRV records), so no query leaves the
machine. Exit code, stdout and stderr are compared byte for byte, and so
are the questions each program asked the DNS server.

Needs root (port 53, mount namespaces) and unshare(1); skipped
otherwise. The address differs from test_dns.py's, so that both can run
at once.
"""

import pytest

from conftest import report, run
from dnssrv import DnsServer, free_dns_addr, resolver_prefix

SRV_TYPE = 33

S465 = "_submissions._tcp.example.org"
S587 = "_submission._tcp.example.org"


@pytest.fixture
def dns(tmp_path):
    """(the prefix that runs a program under our resolver, the factory
    that starts the DNS server with a table of answers)."""
    addr = free_dns_addr()
    prefix = resolver_prefix(tmp_path, addr)
    servers = []

    def start(answers):
        srv = DnsServer(answers, addr=addr).__enter__()
        servers.append(srv)
        return srv
    yield prefix, start
    for srv in servers:
        srv.__exit__()


class Run:
    """One program's run: exit code, stdout, stderr, DNS questions."""

    def __init__(self, name, rc, out, err, questions):
        self.name, self.rc, self.stdout, self.stderr = name, rc, out, err
        self.err = err
        self.questions = questions
        self.sessions = []


def configure(binary, confdir, prefix, server, args, env=None):
    server.questions.clear()
    rc, out, err = run(binary, args, None, env=confdir.env(**(env or {})),
                       prefix=prefix)
    return Run(binary.name, rc, out, err, list(server.questions))


@pytest.fixture
def both(ref, ours, confdir, dns):
    """``r, o = both(answers, args, expect_rc=...)``: Debian's msmtp and
    ours with the same DNS data, compared."""
    prefix, start = dns

    def go(answers, args, expect_rc=None, env=None, compare=True):
        server = start(answers)
        r = configure(ref, confdir, prefix, server, args, env)
        o = configure(ours, confdir, prefix, server, args, env)
        server.__exit__()
        if expect_rc is not None:
            assert r.rc == expect_rc, (
                f"test premise: reference msmtp exited {r.rc}, expected "
                f"{expect_rc}\n" + report(r, o))
        if compare:
            assert (o.rc, o.stdout, o.stderr) == (r.rc, r.stdout, r.stderr), \
                report(r, o)
            assert o.questions == r.questions, report(r, o)
        return r, o
    return go


FOUND = {
    # RFC 8314: implicit TLS is looked up first and wins.
    "submissions": ({S465: [(0, 1, 465, "mail.example.org")],
                     S587: [(0, 1, 587, "mail.example.org")]},
                    [b"port 465\n", b"tls_starttls off\n"]),
    "only_submission": ({S465: "NXDOMAIN",
                         S587: [(0, 1, 587, "smtp.example.org")]},
                        [b"port 587\n", b"tls_starttls on\n"]),
    "submissions_empty": ({S465: [], S587: [(5, 0, 587, "example.org")]},
                          [b"host example.org\n", b"port 587\n"]),
    "submissions_servfail": ({S465: "SERVFAIL",
                              S587: [(0, 0, 2587, "smtp.example.org")]},
                             [b"port 2587\n", b"tls_starttls on\n"]),
    "host_outside_domain": ({S465: [(0, 0, 465, "smtp.provider.net")]},
                            [b"# - warning: the host does not match"]),
    "host_only_ends_like_domain": (
        {S465: [(0, 0, 465, "mail.notexample.org")]},
        [b"# - warning: the host does not match"]),
    "host_case_and_dot": ({S465: [(0, 0, 465, "MAIL.Example.ORG.")]},
                          [b"host MAIL.Example.ORG\n"]),
    "lowest_priority": ({S465: [(10, 1, 1465, "b.example.org"),
                                (5, 1, 2465, "a.example.org"),
                                (20, 1, 3465, "c.example.org")]},
                        [b"host a.example.org\nport 2465\n"]),
    "highest_weight": ({S465: [(5, 10, 1465, "b.example.org"),
                               (5, 60, 2465, "a.example.org"),
                               (5, 30, 3465, "c.example.org")]},
                       [b"host a.example.org\n"]),
    "first_on_a_tie": ({S465: [(5, 1, 1465, "b.example.org"),
                               (5, 1, 2465, "a.example.org")]},
                       [b"host b.example.org\n"]),
    "root_target_skipped": ({S465: [(0, 0, 0, "."),
                                    (1, 0, 465, "x.example.org")]},
                            [b"host x.example.org\n"]),
    "root_target_only": ({S465: [(0, 0, 0, ".")],
                          S587: [(0, 0, 587, "m.example.org")]},
                         [b"port 587\n"]),
    # A name from the network is printed escaped: no line of its own.
    "target_with_space_and_newline": (
        {S465: [(0, 0, 465, "ma il.exa\nmple.org")]},
        [b"host ma\\032il.exa\\010mple.org\n"]),
    "port_extremes": ({S465: [(65535, 65535, 65535, "x.example.org")]},
                      [b"port 65535\n"]),
}


@pytest.mark.parametrize("answers,expect", FOUND.values(), ids=FOUND.keys())
def test_configure_found(both, answers, expect):
    r, o = both(answers, ["--configure=alice@example.org"], expect_rc=0)
    assert o.stdout.startswith(b"# - copy this to your configuration file ")
    assert b"account alice@example.org\n" in o.stdout
    assert b"user alice\nfrom alice@example.org\n" in o.stdout
    for piece in expect:
        assert piece in o.stdout
    assert o.stderr == b""


FAILED = {
    "none": {S465: "NXDOMAIN", S587: "NXDOMAIN"},
    "no_srv_record": {S465: [], S587: []},
    "servfail": {S465: "SERVFAIL", S587: "SERVFAIL"},
    "refused": {},
    "no_answer": {S465: "DROP", S587: "DROP"},
}


@pytest.mark.parametrize("answers", FAILED.values(), ids=FAILED.keys())
def test_configure_no_server(both, answers):
    r, o = both(answers, ["--configure", "alice@example.org"], expect_rc=68)
    assert o.stdout == b""
    assert o.stderr == (
        b"msmtp: automatic configuration based on SRV records failed: "
        b"no SRV records for _submissions._tcp.example.org or "
        b"_submission._tcp.example.org\n")
    assert o.questions == [(S465, SRV_TYPE), (S587, SRV_TYPE)]


INVALID = ["alice", "alice@", "@example.org", "", "a@b@"]


@pytest.mark.parametrize("address", INVALID)
def test_configure_invalid_address(both, address):
    r, o = both({}, ["--configure=" + address], expect_rc=65)
    assert o.stderr == (b"msmtp: automatic configuration based on SRV "
                        b"records failed: invalid mail address\n")
    assert o.questions == []


ODD = {
    # The last '@' splits: the user is everything before it.
    "two_ats": "a@b@example.org",
    "upper_case": "Alice@Example.ORG",
    # The query is absolute either way; the warning compares as typed.
    "trailing_dot": "alice@example.org.",
    "space_in_local_part": "al ice@example.org",
    "utf8_local_part": "j\u00f6rg@example.org",
}


@pytest.mark.parametrize("address", ODD.values(), ids=ODD.keys())
def test_configure_odd_address(both, address):
    both({S465: [(0, 0, 465, "mail.example.org")]},
         ["--configure", address], expect_rc=0)


def test_configure_utf8_domain(both):
    """Without IDN support, the domain goes to the resolver as UTF-8."""
    r, o = both({}, ["--configure=j\u00f6rg@b\u00fccher.example"],
                expect_rc=68)
    assert len(o.questions) == 2


def test_configure_names_the_C_file(both, confdir):
    r, o = both({S465: [(0, 0, 465, "mail.example.org")]},
                ["-C", "some/where.rc", "--configure=alice@example.org"],
                expect_rc=0)
    assert o.stdout.startswith(b"# - copy this to your configuration "
                               b"file some/where.rc\n")


@pytest.mark.parametrize("existing", ["none", "home", "xdg", "both"])
def test_configure_names_the_user_file(both, confdir, existing):
    """The file --version names: ~/.msmtprc, unless only the XDG one
    exists. Neither is read (a broken one does not matter)."""
    if existing in ("home", "both"):
        confdir.write("not a command\n", path=confdir.home_rc)
    if existing in ("xdg", "both"):
        confdir.write("not a command\n", path=confdir.xdg_rc)
    r, o = both({S465: [(0, 0, 465, "mail.example.org")]},
                ["--configure=alice@example.org"], expect_rc=0)
    want = confdir.xdg_rc if existing == "xdg" else confdir.home_rc
    assert o.stdout.startswith(b"# - copy this to your configuration file "
                               + str(want).encode() + b"\n")


def test_configure_without_HOME(both):
    """The home directory then comes from the password database."""
    both({S465: [(0, 0, 465, "mail.example.org")]},
         ["--configure=alice@example.org"], expect_rc=0,
         env={"HOME": None, "XDG_CONFIG_HOME": None})


MODES = {
    "after_serverinfo": ["--serverinfo", "--configure=alice@example.org"],
    "before_serverinfo": ["--configure=alice@example.org", "--serverinfo"],
    "with_rmqs": ["--rmqs=x", "--configure=alice@example.org"],
    "with_recipients": ["--configure=alice@example.org", "bob@example.net"],
    "last_address": ["--configure=bob@example.net",
                     "--configure=alice@example.org"],
    "with_settings": ["--host=h.example", "--port=1", "--tls=off",
                      "-d", "--configure=alice@example.org"],
}


@pytest.mark.parametrize("args", MODES.values(), ids=MODES.keys())
def test_configure_wins_over_other_modes(both, args):
    r, o = both({S465: [(0, 0, 465, "mail.example.org")]}, args,
                expect_rc=0)
    assert b"account alice@example.org\n" in o.stdout


def test_configure_checks_the_command_line_first(both):
    both({}, ["--configure=alice@example.org", "--serverinfo", "--rmqs=x"],
         expect_rc=64)


def _alone(binary, confdir, arg):
    rc, out, err = run(binary, [arg], None, env=confdir.env())
    assert (rc, err) == (0, b"")
    return out


@pytest.mark.parametrize("first", [["--version"], ["--help"],
                                   ["--help", "--version"]],
                         ids=["version", "help", "help_version"])
@pytest.mark.parametrize("address,rc", [("alice@example.org", 0),
                                        ("alice@example.com", 68),
                                        ("alice", 65)])
def test_version_and_help_then_configure(both, ref, ours, confdir, first,
                                         address, rc):
    """msmtp prints --version, then --help, then still configures. The
    texts of --version and --help are each program's own."""
    answers = {S465: [(0, 0, 465, "mail.example.org")]}
    alone, _ = both(answers, ["--configure=" + address], expect_rc=rc)
    r, o = both(answers, [*first, "--configure=" + address], expect_rc=rc,
                compare=False)
    for x, binary in ((r, ref), (o, ours)):
        head = b"".join(_alone(binary, confdir, a)
                        for a in ("--version", "--help") if a in first)
        assert x.rc == rc, report(r, o)
        assert x.stdout == head + alone.stdout, report(r, o)
        assert x.stderr == alone.stderr, report(r, o)
        assert x.questions == alone.questions


@pytest.mark.parametrize("args", [["--version", "--help"],
                                  ["--help", "--version"],
                                  ["--version", "--serverinfo"],
                                  ["--help", "--rmqs=x"]])
def test_version_and_help_stop_other_modes(ref, ours, confdir, args):
    """--version before --help, whatever the order; neither runs another
    mode than --configure after it."""
    for binary in (ref, ours):
        rc, out, err = run(binary, args, None, env=confdir.env())
        head = b"".join(_alone(binary, confdir, a)
                        for a in ("--version", "--help") if a in args)
        assert (binary.name, rc, err, out) == (binary.name, 0, b"", head)


@pytest.mark.differs
@pytest.mark.parametrize("address", ["alice\npasswordeval x@example.org",
                                     "alice\r@example.org",
                                     "al\x1bice@example.org"])
def test_configure_refuses_control_characters(both, address):
    """DELIBERATE DIFFERENCE: msmtp prints such an address as it is, so a
    line break in it writes a line of its own into the account."""
    r, o = both({S465: [(0, 0, 465, "mail.example.org")]},
                ["--configure=" + address], expect_rc=0, compare=False)
    if "\n" in address:
        assert b"\npasswordeval x\n" in r.stdout
    assert o.rc == 65
    assert o.stdout == b""
    assert o.stderr == (b"msmtp: automatic configuration based on SRV "
                        b"records failed: invalid mail address\n")
    assert o.questions == []


def test_configure_output_is_a_usable_account(both, ours, confdir, dns):
    """What is printed is an msmtprc account our msmtp reads as it is."""
    r, o = both({S587: [(0, 0, 587, "smtp.example.org")]},
                ["--configure=alice@example.org"], expect_rc=0)
    path = confdir.write(o.stdout.decode())
    rc, out, err = run(ours, ["-C", str(path), "-P",
                              "--account=alice@example.org",
                              "bob@example.net"], b"", env=confdir.env())
    assert rc == 0, err
    for line in (b"host = smtp.example.org", b"port = 587",
                 b"tls = on", b"tls_starttls = on", b"auth = choose",
                 b"user = alice", b"from = alice@example.org"):
        assert line in out, out
