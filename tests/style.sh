#!/bin/sh
# House-style checks that can fail: clang-format conformance, the banned
# calls of STYLE.md (strcpy, strcat, sprintf, strtok, gets, alloca), and
# every command's --help within a screen (24 lines of 80 columns), and man
# pages that groff formats without a warning.
set -u
cd "${TESTS_DIR:?}/.." || exit 1
fail=0
files=$(find src tests -name '*.[ch]' | sort)
if ! command -v clang-format >/dev/null 2>&1; then
	echo "not ok - clang-format is not installed (scripts/install-deps installs it)"
	exit 1
fi
# shellcheck disable=SC2086
if clang-format --dry-run --Werror $files 2>/tmp/sundial-style.$$; then
	echo "ok - clang-format"
else
	head -n 40 /tmp/sundial-style.$$
	echo "not ok - clang-format: run 'make format'"
	fail=1
fi
rm -f /tmp/sundial-style.$$
# shellcheck disable=SC2086
banned=$(grep -nE '\b(strcpy|strcat|sprintf|vsprintf|strtok|gets|alloca)[[:space:]]*\(' $files || true)
if [ -n "$banned" ]; then
	echo "$banned"
	echo "not ok - banned calls"
	fail=1
else
	echo "ok - no banned calls"
fi
if ! command -v groff >/dev/null 2>&1; then
	echo "not ok - groff is not installed (scripts/install-deps installs groff-base)"
	fail=1
else
	warned=""
	n=0
	for f in doc/*.[158]; do
		n=$((n + 1))
		warned="$warned$(groff -man -Tutf8 -ww -z "$f" 2>&1)"
	done
	if [ -n "$warned" ]; then
		echo "$warned"
		echo "not ok - man pages: groff warns"
		fail=1
	else
		echo "ok - man pages: groff formats $n without a warning"
	fi
fi
if [ -n "${SUNDIAL:-}" ]; then
	cmds=$("$SUNDIAL" --help | awk '/^Commands:/ { on = 1; next } on && NF == 0 { on = 0 } on { print $1 }')
	if [ -z "$cmds" ]; then
		echo "not ok - sundial --help lists no commands"
		fail=1
	fi
	wrong=0
	for c in "" $cmds; do
		# shellcheck disable=SC2086
		h=$("$SUNDIAL" $c --help 2>&1)
		lines=$(printf '%s\n' "$h" | wc -l)
		wide=$(printf '%s\n' "$h" | awk 'length > 80' | head -n 1)
		if [ "$lines" -gt 24 ] || [ -n "$wide" ]; then
			echo "not ok - sundial $c --help: $lines lines; over 80 columns: ${wide:-none}"
			wrong=1
		fi
	done
	if [ $wrong = 0 ]; then
		echo "ok - --help of sundial and of its $(printf '%s\n' "$cmds" | wc -l) commands within 24x80"
	else
		fail=1
	fi
fi
exit $fail
