"""Compares version pairs with real implementations, for Palisade's differential version tests.

Reads a JSON list of [scheme, a, b] on stdin and prints a JSON list of -1, 0 or 1 (a before, equal
to or after b), or null where the implementation refuses either version. Debian versions go to
`dpkg --compare-versions`, PyPI versions to `packaging`, the others to `univers`.
"""

import json
import subprocess
import sys

from packaging.version import InvalidVersion
from packaging.version import Version as PypiVersion
from univers import versions as univers


def sign(a, b):
    return (a > b) - (a < b)


def dpkg(a, b):
    def holds(op):
        return subprocess.run(["dpkg", "--compare-versions", a, op, b], capture_output=True).returncode == 0

    if not holds("eq") and not holds("ne"):
        return None  # dpkg refused a version
    return 0 if holds("eq") else (-1 if holds("lt") else 1)


UNIVERS = {
    "maven": univers.MavenVersion,
    "nuget": univers.NugetVersion,
    "rpm": univers.RpmVersion,
    "semver": univers.SemverVersion,
}


def compare(scheme, a, b):
    try:
        if scheme == "deb":
            return dpkg(a, b)
        if scheme == "pypi":
            return sign(PypiVersion(a), PypiVersion(b))
        cls = UNIVERS[scheme]
        return sign(cls(a), cls(b))
    except (InvalidVersion, ValueError, TypeError, univers.InvalidVersion):
        return None


def main():
    pairs = json.load(sys.stdin)
    json.dump([compare(*p) for p in pairs], sys.stdout)


if __name__ == "__main__":
    main()
