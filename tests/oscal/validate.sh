#!/usr/bin/env bash
# Exports OSCAL assessment results from a fresh demo database (a submitted CAF body, a care
# provider on the ten-standard framework with an evidence document, and an assessment not yet
# started) and validates each with compliance-trestle, NIST OSCAL's schema in Python. A broken
# document must fail, which shows the validator is really checking.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
bin="${PALISADE_BIN:-$root/target/debug/palisade}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
db="sqlite://$work/palisade.db"
"$bin" demo --database "$db" --no-serve >/dev/null
venv="${TRESTLE_VENV:-$work/venv}"
if [ ! -x "$venv/bin/trestle" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "compliance-trestle==5.2.0"
fi
ws="$work/trestle"
mkdir -p "$ws"
(cd "$ws" && "$venv/bin/trestle" init >/dev/null)
for org in R42 CH000000 R41; do
  mkdir -p "$ws/assessment-results/$org"
  "$bin" report oscal --database "$db" --org "$org" >"$ws/assessment-results/$org/assessment-results.json"
  (cd "$ws" && "$venv/bin/trestle" validate -f "assessment-results/$org/assessment-results.json")
done
grep -q '"observations"' "$ws/assessment-results/CH000000/assessment-results.json" || {
  echo "the care provider's export has no evidence observation" >&2
  exit 1
}
mkdir -p "$ws/assessment-results/broken"
sed 's/"not-satisfied"/"failed"/' "$ws/assessment-results/R41/assessment-results.json" \
  >"$ws/assessment-results/broken/assessment-results.json"
if (cd "$ws" && "$venv/bin/trestle" validate -f "assessment-results/broken/assessment-results.json" >/dev/null 2>&1); then
  echo "a document with an invalid finding state passed validation" >&2
  exit 1
fi
echo "OSCAL assessment results: 3 exports valid; a broken one refused"
