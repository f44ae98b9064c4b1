"""Validates CACAO 2.0 playbooks against the OASIS JSON schemas.

Usage: validate.py SCHEMA_DIR FILE...

Every schema file is registered under its own $id, so the schemas' relative references resolve
offline. Each playbook is checked twice: as the schemas declare (draft-07) and under draft
2019-09, which also enforces the schemas' unevaluatedProperties. Prints each error with its JSON
path and exits 1 when any file fails.
"""

import json
import pathlib
import sys

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7, DRAFT201909


def registry(root, spec):
    resources = []
    for path in sorted(root.rglob("*.json")):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((contents["$id"], Resource(contents, specification=spec)))
    return Registry().with_resources(resources)


def main():
    root = pathlib.Path(sys.argv[1])
    schema = json.loads((root / "playbook.json").read_text(encoding="utf-8"))
    validators = [
        jsonschema.Draft7Validator(schema, registry=registry(root, DRAFT7),
                                   format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER),
        jsonschema.Draft201909Validator(schema, registry=registry(root, DRAFT201909),
                                        format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER),
    ]
    failed = 0
    for name in sys.argv[2:]:
        doc = json.loads(pathlib.Path(name).read_text(encoding="utf-8"))
        for v in validators:
            errors = sorted(v.iter_errors(doc), key=lambda e: list(e.absolute_path))
            for e in errors:
                failed += 1
                path = "/".join(str(p) for p in e.absolute_path)
                print(f"{name}: {type(v).__name__}: /{path}: {e.message[:300]}")
    if failed:
        sys.exit(1)
    print(f"{len(sys.argv) - 2} playbook(s) valid")


main()
