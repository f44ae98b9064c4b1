"""Reads Palisade's TAXII 2.1 server with the OASIS taxii2-client and validates every object it
serves with stix2-validator: the alerts collection, and the indicators collection as anyone reads
it (TLP:CLEAR only). Usage: check_taxii.py BASE_URL (the demo, with its alerts and indicators).

Fails on any validator error and on any warning but {103} (Palisade's ids are name-based UUIDv5,
so that the same alert always yields the same ids, where the validator prefers random v4), and
when paging, filters, versions or the manifest disagree with the whole collection."""

import copy
import sys

from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Server, as_pages

ALLOWED_WARNINGS = ("{103}",)


def check(cond, message):
    if not cond:
        sys.exit(f"FAIL: {message}")


def validate(objects):
    bundle = {"type": "bundle", "id": "bundle--0f6c1e56-0b0e-4c9b-8f3a-4f1d6e5b2a10", "objects": objects}
    result = validate_instance(bundle, ValidationOptions(version="2.1"))
    return result


TLP_CLEAR = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"


def check_indicators(coll):
    """Anyone reads the five TLP 2.0 marking definitions and the TLP:CLEAR indicators, all valid
    STIX 2.1; paging two at a time reads the same."""
    whole = coll.get_objects(limit=1000)
    objects = whole.get("objects", [])
    markings = [o for o in objects if o["type"] == "marking-definition"]
    indicators = [o for o in objects if o["type"] == "indicator"]
    check(len(markings) == 5, f"five TLP 2.0 marking definitions, not {len(markings)}")
    check(indicators, "the demo's TLP:CLEAR indicator is served to anyone")
    check(all(i["object_marking_refs"] == [TLP_CLEAR] for i in indicators),
          "anyone receives TLP:CLEAR indicators only")
    check(len(objects) == len(markings) + len(indicators), "nothing but markings and indicators")
    result = validate(objects)
    warnings = [w for w in result.warnings if not any(a in w for a in ALLOWED_WARNINGS)]
    check(result.is_valid, f"stix2-validator errors (indicators): {[str(e) for e in result.errors][:5]}")
    check(not warnings, f"stix2-validator warnings (indicators): {warnings[:5]}")
    paged = []
    for page in as_pages(coll.get_objects, per_request=2):
        paged.extend(page.get("objects", []))
    check([o["id"] for o in paged] == [o["id"] for o in objects], "indicators paged two at a time")
    one = coll.get_object(indicators[0]["id"])["objects"]
    check(len(one) == 1 and one[0] == indicators[0], "an indicator is served by its id")
    print(f"TAXII 2.1 indicators: {len(indicators)} TLP:CLEAR indicator(s) and 5 markings, valid STIX 2.1")


def main(base):
    server = Server(f"{base}/taxii2/")
    check(server.title, "discovery has no title")
    check(len(server.api_roots) == 1 and server.default is not None, "one default API root")
    root = server.default
    check(root.versions == ["application/taxii+json;version=2.1"], f"API root versions {root.versions}")
    titles = sorted(c.title for c in root.collections)
    check(titles == ["Cyber alerts", "Indicators of compromise"], f"two collections: {titles}")
    check(all(c.can_read and not c.can_write for c in root.collections), "the collections are read-only")
    coll = next(c for c in root.collections if c.title == "Cyber alerts")
    check_indicators(next(c for c in root.collections if c.title == "Indicators of compromise"))

    everything = coll.get_objects(limit=1000)
    objects = everything.get("objects", [])
    check(objects and not everything.get("more"), "the collection has objects, in one page of 1000")
    kinds = {o["type"] for o in objects}
    for kind in ("report", "vulnerability", "software", "course-of-action", "relationship",
                 "identity", "marking-definition"):
        check(kind in kinds, f"no {kind} object is served")

    result = validate(objects)
    errors = [str(e) for e in result.errors]
    warnings = [w for w in result.warnings if not any(a in w for a in ALLOWED_WARNINGS)]
    check(result.is_valid, f"stix2-validator errors: {errors[:5]}")
    check(not warnings, f"stix2-validator warnings: {warnings[:5]}")

    broken = copy.deepcopy(objects)
    report = next(o for o in broken if o["type"] == "report")
    del report["object_refs"]
    check(not validate(broken).is_valid, "a report without object_refs passed validation")

    paged = []
    pages = 0
    for page in as_pages(coll.get_objects, per_request=3):
        paged.extend(page.get("objects", []))
        pages += 1
    check([o["id"] for o in paged] == [o["id"] for o in objects],
          "paging three at a time returns the same objects in the same order")
    check(pages == (len(objects) + 2) // 3, f"{pages} pages for {len(objects)} objects")

    reports = coll.get_objects(type="report")["objects"]
    check(reports and all(o["type"] == "report" for o in reports), "match[type]=report")
    updated = [r for r in reports if r["modified"] != r["created"]]
    check(updated, "an updated alert's report is served")
    versions = coll.object_versions(updated[0]["id"])["versions"]
    check(len(versions) >= 2 and versions == sorted(versions), f"versions of an updated report: {versions}")
    all_versions = coll.get_objects(type="report", version="all")["objects"]
    check(len(all_versions) > len(reports), "match[version]=all returns older versions too")
    one = coll.get_object(updated[0]["id"])["objects"]
    check(len(one) == 1 and one[0]["modified"] == versions[-1], "an object is served at its last version")

    manifest = coll.get_manifest(limit=1000)["objects"]
    check([m["id"] for m in manifest] == [o["id"] for o in objects], "the manifest lists every object")
    newest = max(m["date_added"] for m in manifest)
    later = coll.get_objects(added_after=newest)
    check(not later.get("objects"), "nothing is added after the newest object")
    oldest = min(m["date_added"] for m in manifest)
    after_first = coll.get_manifest(added_after=oldest, limit=1000).get("objects", [])
    expected = [m["id"] for m in manifest if m["date_added"] > oldest]
    # (The demo publishes everything within a second, so this may be empty; the HTTP tests
    # check a collection whose objects were added at different times.)
    check([m["id"] for m in after_first] == expected and all(m["date_added"] > oldest for m in after_first),
          "added_after gives exactly what was added later, and leaves out what was added at that time")

    print(f"TAXII 2.1: {len(objects)} objects ({', '.join(sorted(kinds))}) valid STIX 2.1; "
          f"{pages} pages of 3; filters, versions and manifest agree")


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"))
