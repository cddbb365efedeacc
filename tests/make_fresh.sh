#!/bin/sh
# make check's proof that the README's two commands work as the first
# commands on a fresh machine, without reinstalling the machine.
#
# On a fresh Debian there is no pkg-config and no -dev package, so a make
# that asks pkg-config while it parses the Makefile stops before deps
# can install anything. Here 'make -n demo' and 'make -n check' run with
# pkg-config absent, then with a pkg-config that knows no module, and
# must print deps' commands first: the top-level make parsed without
# the libraries, and deps comes before anything that needs them. The
# sub-make that builds is then started, and since -n did not really
# install anything, it must stop with the clear 'run make deps' error,
# as a bare 'make' must. Finally, with the machine's real pkg-config,
# both dry runs must succeed, deps first, the build after it.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# This runs under make check: start each make afresh, not as its child.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES

fail() {
	echo "make_fresh: $*" >&2
	exit 1
}

# A PATH without pkg-config: only what a dry run of the Makefile calls.
mkdir "$tmp/bin" "$tmp/pc-empty" "$tmp/fakebin"
for t in make sh cc realpath find; do
	p=$(command -v "$t") || fail "$t not found"
	ln -s "$p" "$tmp/bin/$t"
done
# A pkg-config that knows no module (as on a machine without the -dev
# packages).
printf '#!/bin/sh\nexit 1\n' > "$tmp/fakebin/pkg-config"
chmod 755 "$tmp/fakebin/pkg-config"

DEPS_LINES='tests/deps.sh
tests/postfix-setup.sh'
HINT="run 'make deps'"

# expect_deps_first WHAT OUTFILE - the first lines printed are deps'.
expect_deps_first() {
	[ "$(head -n 2 "$2")" = "$DEPS_LINES" ] ||
	    { sed 's/^/  /' "$2" >&2; fail "$1: deps did not run first"; }
}

# fresh SCENARIO ENV... - the dry runs and a bare make, without modules.
fresh() {
	name=$1
	shift
	for goal in demo check; do
		out="$tmp/$name-$goal.out"
		if env "$@" make -C "$here" --no-print-directory -n "$goal" \
		    > "$out" 2>&1; then
			fail "$name: make -n $goal succeeded without libraries"
		fi
		expect_deps_first "$name: make -n $goal" "$out"
		grep -q "$HINT" "$out" ||
		    fail "$name: make -n $goal: no '$HINT' from the build"
	done
	out="$tmp/$name-all.out"
	if env "$@" make -C "$here" --no-print-directory -n > "$out" 2>&1; then
		fail "$name: make without libraries succeeded"
	fi
	grep -q "$HINT" "$out" || { sed 's/^/  /' "$out" >&2;
	    fail "$name: make without libraries gave no '$HINT'"; }
}

fresh "no pkg-config" PATH="$tmp/bin"
fresh "no modules" PATH="$tmp/fakebin:$PATH"
fresh "empty pkg-config dir" PKG_CONFIG_LIBDIR="$tmp/pc-empty" PKG_CONFIG_PATH=

# With the libraries (the state after deps), deps first, then the build.
for goal in demo check; do
	out="$tmp/real-$goal.out"
	make -C "$here" --no-print-directory -n "$goal" > "$out" 2>&1 ||
	    { sed 's/^/  /' "$out" >&2; fail "make -n $goal failed"; }
	expect_deps_first "make -n $goal" "$out"
done
grep -q '^tests/demo.sh\|demo.sh ' "$tmp/real-demo.out" ||
    fail "make -n demo: the demo does not run"

# A bare make (the README's "Building by hand") builds the programs: the
# Makefile's first rule is a library's, so the default goal is named.
out="$tmp/real-bare.out"
make -C "$here" --no-print-directory -n BUILD="$tmp/build" > "$out" 2>&1 ||
    { sed 's/^/  /' "$out" >&2; fail "make -n failed"; }
for prog in msmtp msmtp-engine.so msmtp-queue msmtpd; do
	grep -q -- "-o $tmp/build/$prog " "$out" ||
	    { sed 's/^/  /' "$out" >&2; fail "a bare make does not build $prog"; }
done
echo "make_fresh: demo and check start with deps, without libraries;" \
    "a bare make builds the programs"
