#!/bin/sh
# Installs with apt-get what the build and the tests need; idempotent: it
# asks apt only for the packages that are missing, and runs 'apt-get
# update' only when something has to be installed.
set -eu

PKGS="make gcc pkg-config libsqlite3-dev zlib1g-dev libgnutls28-dev
libgsasl-dev libuv1-dev libidn2-dev msmtp python3 python3-aiosmtpd
python3-pytest python3-pytest-timeout swaks gnutls-bin clang libclang-rt-14-dev cron
mutt git-email libmailtools-perl sqlite3 strace time systemd iproute2 procps
mandoc libsecret-1-dev libsecret-tools gnome-keyring dbus libcurl4-gnutls-dev"
# libidn2-dev: host names in A-label form (src/util/idn.h), as msmtp
# gets them from glibc's AI_IDN.
# libsecret-1-dev: the keyring's headers (util/keyring.c loads the
# library itself when a password is looked up there). gnome-keyring
# (its daemon), dbus (dbus-daemon, dbus-send) and libsecret-tools
# (secret-tool) give test_keyring.py a real Secret Service on a private
# session bus.
# libcurl4-gnutls-dev: libcurl's headers (util/https.c loads
# libcurl-gnutls.so.4 itself when an OAuth2 token must be fetched).
# zlib1g-dev: msmtp links SQLite statically, and 'pkg-config --static
# sqlite3' asks for -lz, which libsqlite3-dev does not pull in (a bare
# Debian 12 has no libz.so).
# mutt, git-email (+ libmailtools-perl, its Mail::Address) are real
# callers run by tests/integ/test_callers.py; neither pulls in an MTA.
# bsd-mailx is not here: it depends on default-mta, i.e. exim4.
# sqlite3 (the CLI) inspects and damages spools in test_spool.py, strace
# watches the engine's writes in test_engine.py, time (GNU) measures peak
# RSS in bench/. cron (Debian's daemon) mails a job's output through
# our msmtp in test_spoolpath.py, in a private mount namespace (the
# tests start it themselves; the system's cron service is not used).
# systemd gives systemd-analyze, which verifies the user units
# (test_units.py); iproute2's ip makes the network namespaces in which
# test_netup.py brings a network up. A bare Debian 12 has neither, nor
# procps's /bin/kill, which msmtp-queue.service reloads with (and
# systemd-analyze verify checks that it is there). mandoc lints the
# manuals (make check-man, tests/check-man.py).

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "make deps: missing packages:$missing" >&2
	echo "make deps: run 'make deps' as root, or: sudo apt-get install$missing" >&2
	exit 1
fi
echo "make deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
