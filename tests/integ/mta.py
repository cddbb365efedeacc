"""A real MTA for the integration tests: Postfix's smtpd, run privately.

Postfix's programs come from Debian's packages unpacked (``dpkg -x``, never
installed) into build/postfix-root by tests/postfix-setup.sh (``make
deps``; $POSTFIX_ROOT overrides the place). Postfix does not become the
system MTA: each Postfix here has its own config directory, queue
directory and data directory in a temporary directory, listens on
127.0.0.1 only, on free ports, and runs as root-started ``master -d`` in
its own session, which is stopped (SIGTERM to its process group, SIGKILL
after a bounded wait) at teardown.

What it offers (``Postfix`` attributes):
  port       plain SMTP, STARTTLS offered, AUTH offered (before and after
             STARTTLS)
  tls_port   implicit TLS (smtpd_tls_wrappermode, "SMTPS")
  ca         the TestCA: ``ca.ca_cert`` (tls_trust_file), ``ca.other_ca``
             (a CA that did not sign the server: untrusted),
             ``ca.fingerprint()`` (server cert, "AB:CD:..." as msmtp wants)
  users      {user: password} in a Cyrus sasldb; AUTH mechanisms
             PLAIN LOGIN CRAM-MD5 SCRAM-SHA-256 (``mechanisms``)
Nothing is delivered: every accepted mail is put on the hold queue
(``smtpd_data_restrictions = check_client_access static:HOLD``), where
``messages()`` reads it back from the queue files (sender, recipients,
content). Postfix prepends its own Received: header (it says whether TLS
was used, and "Authenticated sender: NAME" after AUTH); ``Message.data``
is the content without it, i.e. the bytes the client sent, with LF line
ends (Postfix stores lines, not CRLF) and dot-stuffing undone.
``log()`` is Postfix's log (maillog_file) since the last ``clear()``;
``postcat(queue_id)`` shows a queue file the way Postfix does.

Fixtures (import them into the test module, e.g.
``from mta import mta, mta_server, mta_ca  # noqa: F401``, or once for
all modules with that line at the end of conftest.py):
  mta_ca      session: the TestCA (certtool, ECDSA P-256)
  mta_server  module-scoped shared Postfix (started once per module that
              imports it; stopped at the end of it)
  mta         function: mta_server with the hold queue emptied and the log
              mark reset before the test
  postfix_factory  function: ``pf = postfix_factory(users=..., mechs=...)``
              starts a private Postfix, stopped at test teardown

Example:

    from mta import mta, mta_ca, mta_server  # noqa: F401  (fixtures)

    def test_starttls(ref, confdir, mta):
        rc = confdir.write("account t\n" + mta.account("starttls")
                           + "account default : t\n")
        code, out, err = run(ref, ["-C", rc, "a@b.example"], b"Subject: x\n\nx\n",
                             env=confdir.env())
        [m] = mta.wait_messages(1)
        assert code == 0 and m.tls and m.recipients == ["a@b.example"]

Skips (not fails) the tests when not run as root, or when Postfix is not
unpacked and tests/postfix-setup.sh cannot unpack it (no network), unless
$MTA_REQUIRED is set. $MTA_KEEP keeps the work directories; $MTA_USER
picks the account the daemons run as (default: postfix, mail or daemon,
whichever exists first; no account is ever created).
"""

import dataclasses
import os
import pwd
import grp
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
SETUP_SCRIPT = REPO / "tests" / "postfix-setup.sh"

START_TIMEOUT = 20      # seconds for master + smtpd to answer with 220
STOP_TIMEOUT = 10       # seconds after SIGTERM before SIGKILL
CMD_TIMEOUT = 30        # seconds for certtool, saslpasswd2, setup script
# master -e: a Postfix left behind by a killed pytest exits by itself.
MAX_LIFETIME = int(os.environ.get("MTA_MAX_LIFETIME", 3600))

DEFAULT_USERS = {"alice": "alice-Secret-1", "bob": "b0b pass:word"}
DEFAULT_MECHS = ("PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256")
SASL_REALM = "localhost"


def postfix_root():
    return Path(os.environ.get("POSTFIX_ROOT",
                               REPO / "build" / "postfix-root")).resolve()


def _multiarch():
    try:
        return subprocess.run(["dpkg-architecture", "-qDEB_HOST_MULTIARCH"],
                              capture_output=True, text=True,
                              timeout=CMD_TIMEOUT).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


class Root:
    """Paths into the unpacked Postfix / Cyrus SASL packages."""

    def __init__(self, root=None):
        self.root = Path(root) if root else postfix_root()
        self.sbin = self.root / "usr" / "sbin"
        self.daemons = self.root / "usr" / "lib" / "postfix" / "sbin"
        self.shlib = self.root / "usr" / "lib" / "postfix"
        found = sorted(self.root.glob("usr/lib/*/sasl2"))
        self.sasl_plugins = found[0] if found else (
            self.root / "usr" / "lib" / (_multiarch() or "x86_64-linux-gnu")
            / "sasl2")

    def ok(self):
        return all(p.exists() for p in (
            self.daemons / "master", self.daemons / "smtpd",
            self.sbin / "smtp-sink", self.sbin / "saslpasswd2",
            self.sasl_plugins / "libsasldb.so.2"))

    def env(self, **extra):
        """Environment for running one of the unpacked programs."""
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C",
               "LC_ALL": "C", "TZ": "UTC",
               "LD_LIBRARY_PATH": str(self.shlib),
               "SASL_PATH": str(self.sasl_plugins)}
        env.update({k: str(v) for k, v in extra.items()})
        return env

    def program(self, name):
        for d in (self.sbin, self.daemons):
            if (d / name).exists():
                return str(d / name)
        raise FileNotFoundError(name)


def ensure_root(required=None):
    """The unpacked packages, running tests/postfix-setup.sh if needed.

    In pytest: skips the test (fails when $MTA_REQUIRED is set) if that is
    impossible. Elsewhere (bench): raises RuntimeError.
    """
    if required is None:
        required = bool(os.environ.get("MTA_REQUIRED"))
    r = Root()
    if r.ok():
        return r
    try:
        p = subprocess.run([str(SETUP_SCRIPT), str(r.root)],
                           capture_output=True, text=True, timeout=300)
        msg = (p.stdout + p.stderr).strip()
        ok = p.returncode == 0
    except (OSError, subprocess.SubprocessError) as e:
        msg, ok = str(e), False
    r = Root(r.root)
    if ok and r.ok():
        return r
    why = f"Postfix not available in {r.root} (tests/postfix-setup.sh: {msg})"
    if required:
        pytest.fail(why, pytrace=False)
    pytest.skip(why)


def free_port(host="127.0.0.1"):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _run(argv, **kw):
    kw.setdefault("timeout", CMD_TIMEOUT)
    p = subprocess.run(argv, capture_output=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({p.returncode}): "
                           f"{p.stderr!r} {p.stdout!r}")
    return p


# --------------------------------------------------------------------------
# Certificates.

class TestCA:
    """A CA and a server certificate for localhost / 127.0.0.1 / ::1, plus
    a second, unrelated CA (``other_ca``) that did not sign it.

    Files (PEM): ca_cert, ca_key, server_cert, server_key, other_ca.
    """
    __test__ = False            # not a pytest test class

    def __init__(self, directory, names=("localhost",),
                 ips=("127.0.0.1", "::1")):
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        d = self.dir
        self.ca_key, self.ca_cert = d / "ca-key.pem", d / "ca.pem"
        self.server_key, self.server_cert = d / "server-key.pem", d / "server.pem"
        self.other_key, self.other_ca = d / "other-ca-key.pem", d / "other-ca.pem"
        self._selfsigned(self.ca_key, self.ca_cert, "msmtp test CA")
        self._selfsigned(self.other_key, self.other_ca, "msmtp other CA")
        lines = [f'cn = "{names[0]}"', 'organization = "msmtp tests"',
                 "tls_www_server", "signing_key", "encryption_key",
                 "expiration_days = 30"]
        lines += [f'dns_name = "{n}"' for n in names]
        lines += [f'ip_address = "{ip}"' for ip in ips]
        tmpl = d / "server.tmpl"
        tmpl.write_text("\n".join(lines) + "\n")
        self._key(self.server_key)
        _run(["certtool", "--generate-certificate",
              "--load-privkey", str(self.server_key),
              "--load-ca-certificate", str(self.ca_cert),
              "--load-ca-privkey", str(self.ca_key),
              "--template", str(tmpl), "--outfile", str(self.server_cert)])

    @staticmethod
    def _key(path):
        _run(["certtool", "--generate-privkey", "--key-type=ecdsa",
              "--curve=secp256r1", "--outfile", str(path)])

    def _selfsigned(self, key, cert, cn):
        tmpl = cert.with_suffix(".tmpl")
        tmpl.write_text(f'cn = "{cn}"\nca\ncert_signing_key\n'
                        "expiration_days = 30\n")
        self._key(key)
        _run(["certtool", "--generate-self-signed", "--load-privkey",
              str(key), "--template", str(tmpl), "--outfile", str(cert)])

    def fingerprint(self, hash="sha256", cert=None):
        """Fingerprint of the server cert (DER), "AB:CD:..." (msmtp's
        tls_fingerprint format), computed by certtool."""
        p = _run(["certtool", "--fingerprint", f"--hash={hash}",
                  "--infile", str(cert or self.server_cert)], text=True)
        hexstr = p.stdout.strip().split()[-1].upper()
        if not re.fullmatch(r"[0-9A-F]+", hexstr):
            raise RuntimeError(f"certtool --fingerprint: {p.stdout!r}")
        return ":".join(hexstr[i:i + 2] for i in range(0, len(hexstr), 2))


# --------------------------------------------------------------------------
# Reading queue files (Postfix's record format, src/global/rec_type.h).

@dataclasses.dataclass
class Message:
    queue_id: str
    sender: str
    recipients: list
    content: bytes          # as queued: Postfix's Received: + client's data
    attrs: dict             # named attributes (log_client_name, sasl_..)

    @property
    def data(self):
        """The content without the Received: header Postfix prepended."""
        return _strip_first_header(self.content, b"received")

    @property
    def received(self):
        """Postfix's own (first) Received: header, unfolded, as text."""
        m = re.match(rb"(?is)received:(.*?)\n(?![ \t])", self.content)
        return re.sub(r"\s+", " ", m.group(1).decode("utf-8", "replace")
                      ).strip() if m else ""

    @property
    def tls(self):
        """True if Postfix recorded that the mail came over TLS."""
        return "(using TLS" in self.received

    @property
    def sasl_user(self):
        """The AUTH user name Postfix recorded, or None."""
        return self.attrs.get("sasl_username") or None

    @property
    def sasl_method(self):
        return self.attrs.get("sasl_method") or None


def _strip_first_header(content, name):
    lines = content.split(b"\n")
    if not lines or not lines[0].lower().startswith(name + b":"):
        return content
    i = 1
    while i < len(lines) and lines[i][:1] in (b" ", b"\t"):
        i += 1
    return b"\n".join(lines[i:])


def parse_queue_file(data, queue_id=""):
    """Parse one Postfix queue file (bytes) into a Message."""
    pos, n = 0, len(data)
    sender, rcpts, attrs = None, [], {}
    content, pending, in_content = [], b"", False
    jumps = 0

    def rec():
        nonlocal pos
        t = data[pos]
        pos += 1
        length, shift = 0, 0
        while True:
            c = data[pos]
            pos += 1
            length |= (c & 0x7F) << shift
            shift += 7
            if not c & 0x80:
                break
        body = data[pos:pos + length]
        pos += length
        return chr(t), body

    while pos < n:
        t, body = rec()
        if t == "p":                    # pointer record
            off = int(body.strip() or b"0")
            if off:
                jumps += 1
                if jumps > 10000:
                    raise ValueError("queue file: pointer loop")
                pos = off
            continue
        if t == "M":
            in_content = True
            continue
        if t in ("X", "E"):
            if pending:
                content.append(pending)
                pending = b""
            in_content = False
            if t == "E":
                break
            continue
        if in_content:
            if t == "N":
                content.append(pending + body + b"\n")
                pending = b""
            elif t == "L":
                pending += body
            continue            # 'w' padding and the like
        if t == "S":
            sender = body.decode("utf-8", "surrogateescape")
        elif t == "R":
            rcpts.append(body.decode("utf-8", "surrogateescape"))
        elif t == "A":
            k, _, v = body.decode("utf-8", "surrogateescape").partition("=")
            attrs[k] = v
    if sender is None:
        raise ValueError(f"queue file {queue_id}: no sender record")
    return Message(queue_id, sender, rcpts, b"".join(content), attrs)


# --------------------------------------------------------------------------
# The server.

def _pick_owner():
    """Existing accounts for Postfix's mail_owner (unprivileged; $MTA_USER
    or the first of postfix, mail, daemon), setgid_group (a group other
    than the owner's) and default_privs (nobody). No account is created.
    """
    wanted = os.environ.get("MTA_USER")
    names = [wanted] if wanted else ["postfix", "mail", "daemon"]
    owner = None
    for name in names:
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        if pw.pw_uid != 0 and pw.pw_gid != 0:
            owner = pw
            break
    if owner is None:
        raise RuntimeError(f"no unprivileged account among {names}")
    privs = pwd.getpwnam("nobody")
    for g in ("postdrop", "nogroup", "mail", "daemon"):
        try:
            gr = grp.getgrnam(g)
        except KeyError:
            continue
        # Postfix wants it to differ from mail_owner's and default_privs'
        # groups.
        if gr.gr_gid not in (owner.pw_gid, privs.pw_gid, 0):
            return owner, gr, privs
    raise RuntimeError("no group usable as setgid_group")


QUEUE_DIRS = ("active", "bounce", "corrupt", "defer", "deferred", "flush",
              "hold", "incoming", "private", "saved", "trace")

MASTER_CF = """\
{listen}:{port} inet n - n - - smtpd
{listen}:{tls_port} inet n - n - - smtpd
  -o smtpd_tls_wrappermode=yes
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
discard   unix  - - n - - discard
error     unix  - - n - - error
retry     unix  - - n - - error
postlog   unix-dgram n - n - 1 postlogd
"""


class Postfix:
    """One private Postfix (see the module docstring).

    ``Postfix(workdir, ca, users=..., mechanisms=..., extra_main={...})``,
    then ``start()`` / ``stop()`` (or use it as a context manager).
    ``extra_main`` adds or overrides main.cf parameters. ``workdir`` and
    its parents must be searchable by the mail owner (e.g. not under
    pytest's 0700 basetemp); only etc/, spool/, data/, maillog, sasldb2
    and master.stderr are created in it. Must run as root.
    """

    host = "127.0.0.1"

    def __init__(self, workdir, ca, users=None, mechanisms=DEFAULT_MECHS,
                 extra_main=None, root=None):
        self.root = root or ensure_root()
        self.dir = Path(workdir)
        self.ca = ca
        self.users = dict(DEFAULT_USERS if users is None else users)
        self.mechanisms = tuple(mechanisms)
        self.extra_main = dict(extra_main or {})
        self.cfg = self.dir / "etc"
        self.queue = self.dir / "spool"
        self.data = self.dir / "data"
        self.logfile = self.dir / "maillog"
        self.sasldb = self.dir / "sasldb2"
        self.port = self.tls_port = None
        self.proc = None
        self._log_mark = 0
        self._stderr = None

    # -- set-up ----------------------------------------------------------

    def _main_cf(self, owner, sgid, privs):
        r = self.root
        p = {
            "compatibility_level": "3.6",
            "queue_directory": self.queue,
            "data_directory": self.data,
            "meta_directory": self.cfg,
            "command_directory": r.sbin,
            "daemon_directory": r.daemons,
            "shlib_directory": r.shlib,
            "sendmail_path": r.sbin / "sendmail",
            "newaliases_path": "/nonexistent/newaliases",
            "mailq_path": "/nonexistent/mailq",
            "manpage_directory": "no",
            "html_directory": "no",
            "readme_directory": "no",
            "sample_directory": "/nonexistent",
            "mail_owner": owner.pw_name,
            "setgid_group": sgid.gr_name,
            "default_privs": privs.pw_name,
            "import_environment":
                "MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ LANG=C "
                f"LD_LIBRARY_PATH={r.shlib} SASL_PATH={r.sasl_plugins}",
            "maillog_file": self.logfile,
            "maillog_file_prefixes": self.dir,
            "syslog_name": "postfix-test",
            "inet_interfaces": "127.0.0.1",
            "inet_protocols": "ipv4",
            "myhostname": "localhost",
            "mydomain": "localdomain",
            "myorigin": "localhost",
            "mydestination": "",
            "mynetworks": "127.0.0.0/8",
            "mynetworks_style": "host",
            "relay_domains": "",
            "local_transport": "discard",
            "default_transport": "discard",
            "relay_transport": "discard",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "biff": "no",
            # Keep the client's bytes: no rewriting, no added headers.
            "local_header_rewrite_clients": "",
            "always_add_missing_headers": "no",
            "receive_override_options":
                "no_address_mappings, no_header_body_checks, no_milters",
            "message_size_limit": "0",
            "mailbox_size_limit": "0",
            "queue_minfree": "0",
            # Everything accepted is held, never delivered.
            "smtpd_relay_restrictions":
                "permit_mynetworks, permit_sasl_authenticated, reject",
            "smtpd_recipient_restrictions": "permit",
            "smtpd_data_restrictions": "check_client_access static:HOLD",
            # Fast and quiet.
            "smtpd_peername_lookup": "no",
            "smtpd_error_sleep_time": "0",
            "smtpd_soft_error_limit": "100",
            "smtpd_hard_error_limit": "1000",
            "smtpd_client_connection_count_limit": "0",
            "smtpd_client_connection_rate_limit": "0",
            "smtpd_client_auth_rate_limit": "0",
            "smtpd_banner": "$myhostname ESMTP Postfix (msmtp tests)",
            "smtputf8_enable": "yes",
            "enable_long_queue_ids": "yes",
            "daemon_timeout": "120s",
            # TLS (OpenSSL in Postfix).
            "smtpd_tls_security_level": "may",
            "smtpd_tls_cert_file": self.ca.server_cert,
            "smtpd_tls_key_file": self.ca.server_key,
            "smtpd_tls_received_header": "yes",
            "smtpd_tls_loglevel": "1",
            "smtpd_tls_session_cache_database": "",
            "tls_random_source": "dev:/dev/urandom",
            # AUTH (Cyrus SASL, sasldb).
            "smtpd_sasl_auth_enable": "yes",
            "smtpd_sasl_type": "cyrus",
            "smtpd_sasl_path": "smtpd",
            "cyrus_sasl_config_path": self.cfg / "sasl",
            "smtpd_sasl_local_domain": SASL_REALM,
            "smtpd_sasl_security_options": "noanonymous",
            "smtpd_sasl_tls_security_options": "noanonymous",
            "smtpd_sasl_authenticated_header": "yes",
            "broken_sasl_auth_clients": "no",
        }
        p.update(self.extra_main)
        return "".join(f"{k} = {v}\n" for k, v in p.items())

    def _setup(self):
        owner, sgid, privs = _pick_owner()
        # Start afresh (a restart after a port clash), but remove only
        # what is ours: workdir may be a test's own directory.
        for d in (self.cfg, self.queue, self.data):
            shutil.rmtree(d, ignore_errors=True)
        for f in (self.logfile, self.sasldb, self.dir / "master.stderr"):
            if f.exists():
                f.unlink()
        self.dir.mkdir(mode=0o711, parents=True, exist_ok=True)
        for d in (self.cfg, self.cfg / "sasl", self.queue, self.data):
            d.mkdir(parents=True)
        # The daemons run as mail_owner and open the sasldb by path.
        os.chmod(self.dir, 0o711)
        self.port, self.tls_port = free_port(), free_port()
        while self.tls_port == self.port:
            self.tls_port = free_port()
        (self.cfg / "main.cf").write_text(self._main_cf(owner, sgid, privs))
        (self.cfg / "master.cf").write_text(MASTER_CF.format(
            listen=self.host, port=self.port, tls_port=self.tls_port))
        (self.cfg / "dynamicmaps.cf").write_text("")
        (self.cfg / "sasl" / "smtpd.conf").write_text(
            "pwcheck_method: auxprop\n"
            "auxprop_plugin: sasldb\n"
            f"sasldb_path: {self.sasldb}\n"
            f"mech_list: {' '.join(self.mechanisms)}\n"
            "log_level: 3\n")
        # Postfix waits until a table read (main.cf, master.cf, ...) is
        # older than a second ("let it settle down", 300 ms steps): backdate.
        past = time.time() - 60
        for f in self.cfg.rglob("*"):
            os.utime(f, (past, past))
        for user, password in self.users.items():
            _run([self.root.program("saslpasswd2"), "-f", str(self.sasldb),
                  "-u", SASL_REALM, "-c", "-p", user],
                 input=password.encode(), env=self.root.env())
        if self.sasldb.exists():
            os.chown(self.sasldb, 0, owner.pw_gid)
            os.chmod(self.sasldb, 0o640)
        # Queue and data directories, as post-install would make them.
        os.chown(self.queue, 0, 0)
        os.chmod(self.queue, 0o755)
        for name in QUEUE_DIRS:
            d = self.queue / name
            d.mkdir()
            os.chown(d, owner.pw_uid, 0)
            os.chmod(d, 0o700)
        for name, mode in (("maildrop", 0o730), ("public", 0o710)):
            d = self.queue / name
            d.mkdir()
            os.chown(d, owner.pw_uid, sgid.gr_gid)
            os.chmod(d, mode)
        (self.queue / "pid").mkdir(mode=0o755)
        os.chown(self.data, owner.pw_uid, 0)
        os.chmod(self.data, 0o700)
        self.logfile.touch()

    # -- running -----------------------------------------------------------

    def start(self, timeout=START_TIMEOUT):
        if os.geteuid() != 0:
            raise RuntimeError("Postfix's master must be started as root")
        for attempt in range(3):        # a port may be taken meanwhile
            self._setup()
            self._stderr = open(self.dir / "master.stderr", "wb")
            self.proc = subprocess.Popen(
                [str(self.root.daemons / "master"), "-d",
                 "-e", str(MAX_LIFETIME), "-c", str(self.cfg)],
                stdin=subprocess.DEVNULL, stdout=self._stderr,
                stderr=subprocess.STDOUT,
                env=self.root.env(MAIL_CONFIG=self.cfg),
                start_new_session=True)   # own process group, see stop()
            try:
                self._wait_ready(timeout)
                return self
            except _PortBusy:
                self.stop()
                continue
            except BaseException:
                self.stop()
                raise
        raise RuntimeError("Postfix: could not get free ports")

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        pending = {self.port: False, self.tls_port: True}
        while pending:
            if self.proc.poll() is not None or self._fatal():
                text = self._diag()
                if "Address already in use" in text:
                    raise _PortBusy()
                if self.proc.poll() is not None and b"fatal:" not in \
                        self.logfile.read_bytes():
                    text += "\n--- postfix status, on a tty ---\n" \
                        + self._tty_diagnosis()
                raise RuntimeError(f"Postfix master exited "
                                   f"({self.proc.returncode})\n{text}")
            for port, tls in list(pending.items()):
                if self._probe(port, tls):
                    del pending[port]
            if not pending:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"Postfix did not answer within "
                                   f"{timeout}s\n{self._diag()}")
            time.sleep(0.02)

    def _tty_diagnosis(self, timeout=3):
        """Ask ``postfix status`` (which checks main.cf the way master
        does) with a pty as stderr: until postlogd runs, Postfix logs only
        to syslog (absent here), and to stderr only when it is a
        terminal; master itself never writes there."""
        import pty
        import select
        mfd, sfd = pty.openpty()
        p = subprocess.Popen(
            [str(self.root.sbin / "postfix"), "-c", str(self.cfg), "status"],
            stdin=subprocess.DEVNULL, stdout=sfd, stderr=sfd,
            env=self.root.env(MAIL_CONFIG=self.cfg), start_new_session=True)
        os.close(sfd)
        out = b""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                ready, _, _ = select.select([mfd], [], [], 0.05)
                if ready:
                    try:
                        chunk = os.read(mfd, 4096)
                    except OSError:
                        break
                    if not chunk:
                        break
                    out += chunk
                elif p.poll() is not None:
                    break
        finally:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait(STOP_TIMEOUT)
            os.close(mfd)
        return out.decode("utf-8", "replace")

    def _fatal(self):
        try:
            with open(self.logfile, "rb") as f:
                return b": fatal: " in f.read()
        except OSError:
            return False

    def _probe(self, port, tls):
        """True once a connection on ``port`` gets a 220 greeting (for the
        wrapper port: once the TCP connection is accepted)."""
        try:
            with socket.create_connection((self.host, port), timeout=5) as s:
                if tls:
                    return True
                s.settimeout(5)
                buf = b""
                while b"\n" not in buf:
                    chunk = s.recv(512)
                    if not chunk:
                        return False
                    buf += chunk
                s.sendall(b"QUIT\r\n")
                return buf.startswith(b"220")
        except OSError:
            return False

    def _diag(self):
        out = []
        for f in (self.dir / "master.stderr", self.logfile):
            try:
                out.append(f"--- {f.name} ---\n"
                           + f.read_text(errors="replace")[-4000:])
            except OSError:
                pass
        return "\n".join(out)

    def stop(self):
        """SIGTERM to the master's process group (master and its children,
        all started by us), SIGKILL after STOP_TIMEOUT."""
        proc, self.proc = self.proc, None
        if proc is not None:
            pgid = proc.pid     # start_new_session: the group is ours
            if proc.poll() is None:
                try:
                    os.killpg(pgid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
                try:
                    proc.wait(STOP_TIMEOUT)
                except subprocess.TimeoutExpired:
                    pass
            # Children that outlive the master (they exit when idle).
            deadline = time.monotonic() + STOP_TIMEOUT
            while _group_alive(pgid):
                if time.monotonic() > deadline:
                    try:
                        os.killpg(pgid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                    break
                time.sleep(0.02)
            if proc.poll() is None:
                proc.kill()
                proc.wait(STOP_TIMEOUT)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- what arrived --------------------------------------------------------

    def queue_ids(self, queue="hold"):
        d = self.queue / queue
        return sorted(p.name for p in d.iterdir()) if d.exists() else []

    def messages(self, queue="hold"):
        """Every complete message in ``queue`` (default: hold), oldest
        first (by the arrival time record)."""
        out = []
        for qid in self.queue_ids(queue):
            path = self.queue / queue / qid
            try:            # cleanup renames it here once complete
                st = path.stat()
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            out.append((st.st_mtime_ns, parse_queue_file(data, qid)))
        return [m for _, m in sorted(out, key=lambda x: x[0])]

    def postcat(self, queue_id, queue="hold", options="-bh"):
        """Postfix's own view of a queue file (postcat), as bytes."""
        return _run([self.root.program("postcat"), "-c", str(self.cfg),
                     options, str(self.queue / queue / queue_id)],
                    env=self.root.env(MAIL_CONFIG=self.cfg)).stdout

    def wait_messages(self, n, timeout=10):
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.messages()
            if len(msgs) >= n or time.monotonic() > deadline:
                return msgs
            time.sleep(0.02)

    def quiesce(self, timeout=5):
        """Wait (bounded) until every SMTP session so far has been logged
        to its end ("disconnect from"), so that a log mark set afterwards
        sees nothing of them. Returns False on timeout."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.logfile.read_bytes()
            opened = len(re.findall(rb"/smtpd\[\d+\]: connect from ", text))
            closed = len(re.findall(rb"/smtpd\[\d+\]: disconnect from ",
                                    text))
            if closed >= opened:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)

    def clear(self):
        """Empty the hold queue and move the log mark to the end (after
        the sessions of the previous test have been logged)."""
        self.quiesce()
        for qid in self.queue_ids():
            try:
                (self.queue / "hold" / qid).unlink()
            except FileNotFoundError:
                pass
        self._log_mark = self.logfile.stat().st_size

    def log(self):
        """Postfix's log since the last clear()."""
        with open(self.logfile, "rb") as f:
            f.seek(self._log_mark)
            return f.read().decode("utf-8", "replace")

    def wait_log(self, pattern, timeout=5):
        """Wait until ``pattern`` (regex) appears in log(); return the
        match or None."""
        deadline = time.monotonic() + timeout
        while True:
            m = re.search(pattern, self.log())
            if m or time.monotonic() > deadline:
                return m
            time.sleep(0.02)

    # -- client configuration ------------------------------------------------

    def account(self, tls="starttls", user=None, password=None, auth=None,
                trust=True, **extra):
        """msmtprc lines for an account on this server.

        tls: "off" (port, no TLS), "starttls" (port), "smtps" (tls_port,
        tls_starttls off). trust: True (the test CA), a path, or None (no
        tls_trust_file line). user/password/auth: AUTH settings (auth
        defaults to "on" when a user is given). extra: more
        "key value" lines, e.g. tls_fingerprint=...; None values are left
        out.
        """
        def q(v):
            v = str(v)
            if v and not re.search(r'[\s"#\\]', v):
                return v
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines = [f"host {self.host}"]
        if tls == "off":
            lines += [f"port {self.port}", "tls off"]
        elif tls == "starttls":
            lines += [f"port {self.port}", "tls on", "tls_starttls on"]
        elif tls == "smtps":
            lines += [f"port {self.tls_port}", "tls on", "tls_starttls off"]
        else:
            raise ValueError(tls)
        if tls != "off" and trust:
            lines.append("tls_trust_file "
                         + q(self.ca.ca_cert if trust is True else trust))
        if user is not None:
            lines += [f"auth {auth or 'on'}", f"user {q(user)}"]
            if password is not None:
                lines.append(f"password {q(password)}")
        elif auth:
            lines.append(f"auth {auth}")
        for k, v in extra.items():
            if v is not None:
                lines.append(f"{k} {q(v)}")
        return "\n".join(lines) + "\n"


class _PortBusy(Exception):
    pass


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Zombies count as alive for killpg; look at /proc for live members.
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2:].split()
        if fields and int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


# --------------------------------------------------------------------------
# Fixtures.

@pytest.fixture(scope="session")
def mta_ca(tmp_path_factory):
    """The test CA and the server certificate (session-wide)."""
    if not shutil.which("certtool"):
        pytest.skip("certtool not found (apt-get install gnutls-bin)")
    return TestCA(tmp_path_factory.mktemp("mta-ca"))


def _need_root_user():
    if os.geteuid() != 0:
        pytest.skip("a private Postfix needs root (its master sets up "
                    "privileges and sockets)")


def _workdir(name="msmtp-postfix"):
    """A fresh directory for one Postfix, outside pytest's basetemp (which
    is 0700: the daemons open the sasldb after dropping privileges)."""
    d = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    os.chmod(d, 0o711)
    return d


def _remove(pf):
    if os.environ.get("MTA_KEEP"):
        print(f"MTA_KEEP: leaving {pf.dir}")
        return
    shutil.rmtree(pf.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def mta_server(mta_ca):
    """A started Postfix shared by the tests of one module."""
    _need_root_user()
    root = ensure_root()
    pf = Postfix(_workdir(), mta_ca, root=root)
    try:
        pf.start()
        yield pf
    finally:
        pf.stop()
        _remove(pf)


@pytest.fixture
def mta(mta_server):
    """mta_server with an empty hold queue and a fresh log mark."""
    mta_server.clear()
    return mta_server


@pytest.fixture
def postfix_factory(mta_ca):
    """``pf = postfix_factory(users=..., mechanisms=..., extra_main=...)``:
    a private, started Postfix, stopped at test teardown."""
    started = []

    def start(**kw):
        _need_root_user()
        root = ensure_root()
        pf = Postfix(_workdir(), kw.pop("ca", mta_ca), root=root, **kw)
        started.append(pf)
        return pf.start()

    yield start
    for pf in started:
        pf.stop()
        _remove(pf)


if __name__ == "__main__":      # manual check: start one, wait for ^C
    import sys
    tmp = Path(tempfile.mkdtemp(prefix="mta-"))
    os.chmod(tmp, 0o755)
    ca = TestCA(tmp / "ca")
    t0 = time.monotonic()
    with Postfix(tmp / "pf", ca, root=Root()) as pf:
        print(f"Postfix up in {time.monotonic() - t0:.2f}s: smtp "
              f"{pf.port}, smtps {pf.tls_port}, dir {pf.dir}, CA "
              f"{ca.ca_cert}, users {pf.users}", flush=True)
        try:
            signal.pause() if sys.stdin.isatty() else sys.stdin.read()
        except KeyboardInterrupt:
            pass
    print("stopped")
