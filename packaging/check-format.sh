#!/bin/sh
# Fails when a C++ file of the project is not formatted as the root .clang-format says
# (clang-format 14, Debian 12). Run from anywhere; lists every file that differs.
set -eu
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
  echo "check-format: clang-format is not installed (packaging/install-deps.sh installs it)" >&2
  exit 1
fi
files=$(git ls-files '*.cpp' '*.h' 2>/dev/null || find app core ui tests -name '*.cpp' -o -name '*.h')
status=0
for f in $files; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (clang-format -i $f)"
    status=1
  fi
done
[ $status = 0 ] && echo "formatting ok"
exit $status
