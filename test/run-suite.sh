#!/usr/bin/env bash
# The tap suite: every test file two at a time, then the files named *.alone.test.ts one by one.
# Those load the whole machine (100,000 pings in one cycle); beside them, tests that time cycles on
# 2 cores would see overruns and late replies that are not theirs.
# Coverage: the first run measures it and holds the floors set in .taprc (a subset run elsewhere only
# prints them); the *.alone.test.ts files run without coverage, so they are not in the figure.
set -uo pipefail
tap --no-allow-incomplete-coverage --exclude='**/*.alone.test.ts' "$@"
first=$?
mapfile -t alone < <(find test -name '*.alone.test.ts' | sort)
second=0
if [ ${#alone[@]} -gt 0 ]; then
  # every tap run starts by clearing .tap/coverage: keep the suite's for `npx tap report html`
  rm -rf .tap/coverage-suite && { [ ! -d .tap/coverage ] || mv .tap/coverage .tap/coverage-suite; }
  tap --disable-coverage --jobs=1 "${alone[@]}"
  second=$?
  rm -rf .tap/coverage && { [ ! -d .tap/coverage-suite ] || mv .tap/coverage-suite .tap/coverage; }
fi
[ $first -eq 0 ] && [ $second -eq 0 ]
