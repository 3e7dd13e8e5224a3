#!/bin/sh
# House-style checks that can fail: clang-format conformance and the banned
# calls of STYLE.md (strcpy, strcat, sprintf, strtok, gets, alloca).
set -u
cd "${TESTS_DIR:?}/.."
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
exit $fail
