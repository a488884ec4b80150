#!/usr/bin/env bash
# The tap suite: every test file two at a time, then the files named *.alone.test.ts one by one.
# Those load the whole machine (100,000 pings in one cycle); beside them, tests that time cycles on
# 2 cores would see overruns and late replies that are not theirs.
set -uo pipefail
tap --exclude='**/*.alone.test.ts' "$@"
first=$?
mapfile -t alone < <(find test -name '*.alone.test.ts' | sort)
second=0
if [ ${#alone[@]} -gt 0 ]; then
  tap --jobs=1 "${alone[@]}"
  second=$?
fi
[ $first -eq 0 ] && [ $second -eq 0 ]
