#!/bin/sh
# Fetches Postfix's programs (smtpd, master, smtp-sink, smtp-source, ...)
# and Cyrus SASL's tools and plugins for the real-MTA tests and the
# benchmarks, WITHOUT installing them: the Debian packages are downloaded
# with 'apt-get download' and unpacked with 'dpkg -x' into a private root
# (default build/postfix-root, or $POSTFIX_ROOT, or the first argument).
# Nothing is configured, no user is created, no service is started and
# Postfix does not become the system MTA (tests/integ/mta.py runs it with
# a private config and queue directory).
#
# Idempotent: when the root is already unpacked it does nothing (without
# asking apt); POSTFIX_REFRESH=1 re-downloads when apt has newer versions. Needs network access to the Debian mirror (apt-get
# download works as any user; 'apt-get update' and installing missing
# runtime libraries need root).
set -eu

PKGS="postfix sasl2-bin libsasl2-modules libsasl2-modules-db"
# Libraries the unpacked programs link against (normally present).
LIBS="libc6 libdb5.3 libicu72 libnsl2 libsasl2-2 libssl3"

here=$(cd "$(dirname "$0")/.." && pwd)
root=${1:-${POSTFIX_ROOT:-$here/build/postfix-root}}
stamp="$root/.pkgs"

versions() {
	# "pkg=version" for each package, as apt would download it now.
	for p in $PKGS; do
		v=$(apt-cache policy "$p" 2>/dev/null |
		    sed -n 's/^ *Candidate: *//p')
		[ -n "$v" ] && [ "$v" != "(none)" ] || return 1
		printf '%s=%s\n' "$p" "$v"
	done
}

need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "postfix-setup: $1; run as root (make deps)" >&2
		exit 1
	fi
}

export DEBIAN_FRONTEND=noninteractive

missing=""
for p in $LIBS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done

unpacked() {
	[ -f "$stamp" ] && [ -x "$root/usr/lib/postfix/sbin/smtpd" ] &&
	    [ -x "$root/usr/sbin/smtp-sink" ] && [ -x "$root/usr/sbin/saslpasswd2" ]
}

if [ -z "$missing" ] && unpacked && [ -z "${POSTFIX_REFRESH:-}" ]; then
	exit 0
fi

want=$(versions || true)
if [ -z "$want" ]; then
	need_root "apt knows no candidate for: $PKGS"
	apt-get update -qq
	want=$(versions) || { echo "postfix-setup: apt has no $PKGS" >&2; exit 1; }
fi
if [ -z "$missing" ] && unpacked && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi

if [ -n "$missing" ]; then
	need_root "missing runtime libraries:$missing"
	echo "postfix-setup: installing$missing"
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# shellcheck disable=SC2086
echo "postfix-setup: unpacking" $want "into $root"
dl=$(mktemp -d)
trap 'rm -rf "$dl"' EXIT INT TERM
# apt drops privileges to _apt for downloads; let it write there.
chmod 755 "$dl"
chown _apt "$dl" 2>/dev/null || true
# shellcheck disable=SC2086
if ! (cd "$dl" && apt-get download -qq $want) >/dev/null; then
	need_root "apt-get download failed (stale lists?)"
	apt-get update -qq
	# shellcheck disable=SC2086
	(cd "$dl" && apt-get download -qq $PKGS) >/dev/null
	want=$(versions)
fi

tmp="$root.new.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
for deb in "$dl"/*.deb; do
	dpkg -x "$deb" "$tmp"
done
printf '%s\n' "$want" > "$tmp/.pkgs"

# Check that every program we use finds its libraries.
for b in usr/lib/postfix/sbin/smtpd usr/lib/postfix/sbin/master \
    usr/sbin/smtp-sink usr/sbin/smtp-source usr/sbin/postcat \
    usr/sbin/saslpasswd2; do
	if LD_LIBRARY_PATH="$tmp/usr/lib/postfix" ldd "$tmp/$b" |
	    grep 'not found' >&2; then
		echo "postfix-setup: $b: missing libraries" >&2
		exit 1
	fi
done

rm -rf "$root"
mv "$tmp" "$root"
echo "postfix-setup: done"
