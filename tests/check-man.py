#!/usr/bin/env python3
"""check-man - the manuals against the programs (make check-man).

Three checks, for msmtp(1), msmtp-queue(1) and msmtpd(1):

  lint      'mandoc -Tlint' says nothing, but for what depends on the
            machine's manual database (a manual it cannot find, an
            outdated mandoc.db);
  options   every option the program's parser accepts is an item of its
            manual (an '.It' line with 'Fl NAME') and is named in its
            --help; the options are read from the parser's own tables in
            the C source (PROGRAMS below names the tables, never the
            options);
  commands  every msmtprc command of src/account/conf_cmds.c's table, and
            the three the reader handles itself (account, defaults,
            eval), is an item of msmtp(1) ('.It Ic NAME').

Usage: tests/check-man.py --build DIR [--src DIR] [--man DIR]
Exits 1 and names every missing option or command, 0 when all is well.
A check listed in PENDING is reported (XFAIL) but does not fail.
"""

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Where each program's parser keeps its options: the C file, the arrays
# of long options (rows '{ "name", ...'), where the getopt string is, and
# for a letter whose meaning is in its value (sendmail's -odi, -bp), the
# table or the comparisons that list those values.
PROGRAMS = {
    "msmtp": {
        "source": "src/client/cmdline.c",
        "long_tables": ["fixed_options", "conf_options"],
        "short_string": "short_options",
        "letter_values": {
            # delivery_option()'s modes[]: { "di", "interactive" }, ...
            "o": ("table", "modes"),
            # -bp and -bm: strcmp(optarg, "p") in the 'b' cases
            "b": ("strcmp", "optarg"),
        },
    },
    "msmtp-queue": {
        "source": "src/runner/main.c",
        "long_tables": ["opts"],
        "short_string": None,	# the literal in getopt_long()
        "letter_values": {},
    },
    "msmtpd": {
        "source": "src/msmtpd/opts.c",
        "long_tables": ["longopts"],
        "short_string": None,
        "letter_values": {},
    },
}

# The commands the msmtprc reader handles before the table
# (src/account/conf_load.c, parse_line()).
READER_COMMANDS = ["account", "defaults", "eval"]

# Checks allowed to fail for now: (program, check). msmtp-queue(1) and
# msmtpd(1) are being completed on the branch i20-manq; remove these
# once it has landed (the checker then says XPASS).
PENDING = set()

# mandoc messages that depend on the machine, not on the page.
LINT_IGNORED = ("referenced manual not found", "outdated mandoc.db")


class CheckError(Exception):
    """The checker cannot read what it needs: fix this script."""


def c_array(text, name, path):
    """The initializer of the array NAME in a C file."""
    m = re.search(r"\b%s\s*\[\s*\]\s*=\s*\{(.*?)\n\s*\};" % re.escape(name),
                  text, re.S)
    if m is None:
        raise CheckError(f"{path}: no array {name}[] found")
    return m.group(1)


def long_options(text, spec):
    names = []
    for table in spec["long_tables"]:
        body = c_array(text, table, spec["source"])
        found = re.findall(r'\{\s*"([A-Za-z0-9-]+)"\s*,', body)
        if not found:
            raise CheckError(f"{spec['source']}: {table}[] has no rows")
        names += found
    return names


def getopt_string(text, spec):
    if spec["short_string"] is not None:
        m = re.search(r"\b%s\s*\[\s*\]\s*=\s*((?:\s*\"[^\"]*\")+)\s*;"
                      % re.escape(spec["short_string"]), text)
    else:
        m = re.search(r"getopt_long\s*\([^,]*,[^,]*,\s*((?:\s*\"[^\"]*\")+)",
                      text)
    if m is None:
        raise CheckError(f"{spec['source']}: no getopt string found")
    return "".join(re.findall(r'"([^"]*)"', m.group(1)))


def letter_values(text, spec, letter):
    """The values a letter takes that give it a meaning ('di' for -odi)."""
    kind, where = spec["letter_values"][letter]
    if kind == "table":
        values = re.findall(r'\{\s*"([^"]+)"\s*,', c_array(text, where,
                                                          spec["source"]))
    else:
        values = re.findall(r'strcmp\(\s*%s\s*,\s*"([^"]+)"\s*\)' % where,
                            text)
    if not values:
        raise CheckError(f"{spec['source']}: no values found for -{letter}")
    return sorted(set(values))


def parser_options(src, program):
    """Every option the parser accepts, as written on a command line:
    '--name', '-x', and '-xVALUE' for a letter with meaningful values."""
    spec = PROGRAMS[program]
    text = (src / spec["source"]).read_text()
    opts = ["--" + n for n in long_options(text, spec)]
    for letter in re.sub(r"[:+-]", "", getopt_string(text, spec)):
        if letter in spec["letter_values"]:
            opts += ["-" + letter + v
                     for v in letter_values(text, spec, letter)]
        else:
            opts.append("-" + letter)
    return list(dict.fromkeys(opts))


def conf_commands(src):
    path = "src/account/conf_cmds.c"
    body = c_array((src / path).read_text(), "conf_cmds", path)
    names = re.findall(r'(?:^|\n)\s*(?:[A-Z]+\(|\{\s*)"([a-z0-9_]+)"', body)
    if not names:
        raise CheckError(f"{path}: conf_cmds[] has no rows")
    return READER_COMMANDS + names


def unescape(line):
    return line.replace("\\-", "-").replace("\\&", "")


def manual_items(page, macro):
    """The words right after MACRO on the page's '.It' lines."""
    words = set()
    for line in page.read_text().splitlines():
        if line.startswith(".It "):
            words.update(re.findall(r"\b%s\s+(\S+)" % macro,
                                    unescape(line)))
    return {w.rstrip(",;") for w in words}


def missing_in_manual(page, options):
    # 'Fl x' prints '-x': the word is the option without its first dash.
    items = manual_items(page, "Fl")
    return [o for o in options if o[1:] not in items]


def missing_in_help(helptext, options):
    return [o for o in options
            if not re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(o),
                             helptext)]


def program_help(build, program):
    p = subprocess.run([str(build / program), "--help"], capture_output=True,
                       text=True, timeout=30)
    return p.stdout + p.stderr


def lint(page):
    p = subprocess.run(["mandoc", "-Tlint", str(page)], capture_output=True,
                       text=True, timeout=60)
    lines = (p.stdout + p.stderr).splitlines()
    return [l for l in lines if not any(s in l for s in LINT_IGNORED)]


def run_checks(build, src, man):
    """(program, check, problems) for every check."""
    results = []
    for program in PROGRAMS:
        page = man / (program + ".1")
        results.append((program, "lint", lint(page)))
        options = parser_options(src, program)
        results.append((program, "options in the manual",
                        missing_in_manual(page, options)))
        results.append((program, "options in --help",
                        missing_in_help(program_help(build, program),
                                        options)))
    items = manual_items(man / "msmtp.1", "Ic")
    results.append(("msmtp", "msmtprc commands in the manual",
                    [c for c in conf_commands(src) if c not in items]))
    return results


def report(results):
    failed = 0
    for program, check, problems in results:
        pending = (program, check) in PENDING
        what = f"{program}: {check}"
        if not problems:
            print(f"check-man: {what}: ok" +
                  ("  (XPASS: remove it from PENDING in tests/check-man.py)"
                   if pending else ""))
            continue
        tag = "XFAIL (until i20-manq lands)" if pending else "FAIL"
        print(f"check-man: {what}: {tag}:")
        for p in problems:
            print(f"    {p}")
        failed += not pending
    return failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", required=True, type=Path)
    ap.add_argument("--src", type=Path, default=ROOT)
    ap.add_argument("--man", type=Path)
    args = ap.parse_args()
    man = args.man or args.src / "man"
    try:
        failed = report(run_checks(args.build.resolve(), args.src, man))
    except CheckError as e:
        print(f"check-man: {e}: update tests/check-man.py", file=sys.stderr)
        return 2
    if failed:
        print(f"check-man: {failed} check(s) failed: document the names "
              "above in the manual and in --help", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
