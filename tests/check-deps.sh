#!/bin/sh
# check-deps - the layering rule: each directory of src/ includes only
# the layers below it (README, "Layout"). A program's folder (client,
# runner, msmtpd) is never included by another; the shared layers never
# include a program's. Usage: tests/check-deps.sh [SRCDIR] (default src).
# Exits 1 and names every offending line when a rule is broken.
src=${1:-src}

# layer: the directories its files may include (itself always).
rules='
util:
smtp:util
account:util
mail:util
queue:util
delivery:account mail smtp queue util
client:delivery account mail queue util
runner:delivery account mail queue util
msmtpd:util
'

known=$(echo "$rules" | sed -n 's/:.*//p' | tr '\n' ' ')

# violations - one line per include a rule forbids.
violations() {
	for dir in "$src"/*/; do
		layer=$(basename "$dir")
		case " $known " in
		*" $layer "*) ;;
		*) echo "check-deps: $src/$layer has no rule in $0"; continue ;;
		esac
		allowed="$layer $(echo "$rules" | sed -n "s/^$layer://p")"
		grep -Hn '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' \
		    "$dir"*.[ch] 2>/dev/null |
		while IFS= read -r hit; do
			target=$(echo "$hit" |
			    sed 's/.*include[[:space:]]*"\([^"]*\)".*/\1/')
			# A bare name is a file of its own directory; a
			# relative path (../) names no layer and is refused.
			case $target in
			*/*) to=${target%%/*} ;;
			*) to=$layer ;;
			esac
			case " $allowed " in
			*" $to "*) continue ;;
			esac
			echo "check-deps: $hit: $layer may include only: $allowed"
		done
	done
}

out=$(violations)
[ -z "$out" ] && exit 0
echo "$out"
exit 1
