"""The files of dist/ (units and hooks) as make install writes them.

make install replaces @BINDIR@, @LIBEXECDIR@ and @SYSCONFDIR@ in each
with the installed paths (the Makefile's SUBST); the tests do the same
to point them at the build and at their own directories.
"""

from pathlib import Path

DIST = Path(__file__).resolve().parents[2] / "dist"


def installed_text(src, bindir, libexecdir, sysconfdir="/etc"):
    text = Path(src).read_text()
    for name, value in (("BINDIR", bindir), ("LIBEXECDIR", libexecdir),
                        ("SYSCONFDIR", sysconfdir)):
        text = text.replace(f"@{name}@", str(value))
    return text
