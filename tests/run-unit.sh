#!/bin/sh
# Runs each unit test binary given as an argument and adds up their
# "# N passed, M failed" lines into one closing line.
passed=0 failed=0
for t in "$@"; do
	out=$("$t") ; rc=$?
	printf '%s\n' "$out" | grep -v '^ok - ' | grep -v '^# '
	line=$(printf '%s\n' "$out" | tail -n 1)
	p=$(printf '%s' "$line" | sed -n 's/^# \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(printf '%s' "$line" | sed -n 's/^# \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then
		echo "not ok - $t crashed or printed no summary (exit $rc)"
		failed=$((failed + 1))
		continue
	fi
	passed=$((passed + p)) failed=$((failed + f))
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
