"""An independent reading of OSV records and CSAF product statuses, for Palisade's generated
advisory tests.

Reads a JSON list of cases on stdin and prints, for each, a JSON list of booleans: whether each
of the case's versions is affected. A case is one of
  {"kind": "osv", "scheme": "npm"|"pypi"|"maven", "affected": <one OSV affected entry>, "versions": [...]}
  {"kind": "csaf", "scheme": ..., "products": [{"vers": "vers:..."|null, "version": "..."|null,
    "status": "known_affected"|"fixed"|...}], "versions": [...]}
OSV ranges are evaluated as the OSV schema's pseudo-code does (events sorted by version, each one
at or below the version moving the state), and a listed version is affected whatever the ranges
say; CSAF products are affected only with an affected status, by `univers` ranges. Versions are
compared by `univers` (npm as SemVer, PyPI by PEP 440, Maven by Maven's order).
"""

import json
import sys

from univers import versions as univers
from univers.version_range import RANGE_CLASS_BY_SCHEMES

VERSION = {
    "npm": univers.SemverVersion,
    "pypi": univers.PypiVersion,
    "maven": univers.MavenVersion,
}
AFFECTED = {"known_affected", "first_affected", "last_affected"}


def osv_affected(scheme, affected, raw):
    V = VERSION[scheme]
    v = V(raw)
    for r in affected.get("ranges", []):
        if r["type"] not in ("SEMVER", "ECOSYSTEM"):
            continue
        events = []
        for e in r["events"]:
            (kind, at), = e.items()
            # "introduced": "0" comes before every version.
            events.append((kind, None if (kind == "introduced" and at == "0") else V(at)))
        events.sort(key=lambda e: (0,) if e[1] is None else (1, e[1]))
        state = False
        for kind, at in events:
            if kind == "introduced" and (at is None or at <= v):
                state = True
            elif kind == "fixed" and at <= v:
                state = False
            elif kind == "last_affected" and at < v:
                state = False
        if state:
            return True
    return any(V(x) == v for x in affected.get("versions", []))


def csaf_affected(scheme, products, raw):
    V = VERSION[scheme]
    v = V(raw)
    for p in products:
        if p["status"] not in AFFECTED:
            continue
        if p.get("vers"):
            if v in RANGE_CLASS_BY_SCHEMES[scheme].from_string(p["vers"]):
                return True
        elif p.get("version") is not None:
            if V(p["version"]) == v:
                return True
        else:
            return True
    return False


def main():
    out = []
    for case in json.load(sys.stdin):
        if case["kind"] == "osv":
            out.append([osv_affected(case["scheme"], case["affected"], x) for x in case["versions"]])
        else:
            out.append([csaf_affected(case["scheme"], case["products"], x) for x in case["versions"]])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
