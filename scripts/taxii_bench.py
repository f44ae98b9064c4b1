"""TAXII 2.1 object listing: Palisade beside the OASIS reference server, medallion, serving the
same objects (Palisade's whole collection, exported with `palisade alerts stix-bundle`).

    python taxii_bench.py BUNDLE PALISADE_BASE_URL [--rounds N]

Starts medallion (memory backend) on a free loopback port with the bundle's objects in one
collection, then times, for each server, full listings of the collection (`GET .../objects/?limit=1000`,
following `next` until `more` is false; one client, keep-alive) and its first page of 100, and
checks that both listed the same object ids. Prints seconds per listing and objects per second;
a server that has not finished a listing within --deadline seconds is reported as such.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import requests

from localport import free_port

ACCEPT = "application/taxii+json;version=2.1"
STIX = "application/stix+json;version=2.1"
FALLBACK_ADDED = "2026-01-01T00:00:00.000Z"


def medallion_data(objects):
    """medallion's memory backend file: one API root, one read-only collection."""
    manifest = []
    served = []
    for o in objects:
        # medallion needs a version for every object and a date added for those without one.
        added = o.get("modified") or o.get("created") or FALLBACK_ADDED
        manifest.append({"id": o["id"], "date_added": added, "version": added, "media_type": STIX})
        if "modified" not in o and "created" not in o:
            o = dict(o, _date_added=added)
        served.append(o)
    return {
        "/discovery": {
            "title": "medallion (bench)",
            "default": "http://127.0.0.1/api1/",
            "api_roots": ["http://127.0.0.1/api1/"],
        },
        "api1": {
            "information": {
                "title": "bench",
                "versions": [ACCEPT],
                "max_content_length": 104857600,
            },
            "status": [],
            "collections": [
                {
                    "id": "64993447-4d7e-4f70-b94d-d7f33742ee63",
                    "title": "Bench collection",
                    "can_read": True,
                    "can_write": False,
                    "media_types": [STIX],
                    "objects": served,
                    "manifest": manifest,
                }
            ],
        },
    }


class Overdue(Exception):
    """A listing that passed the deadline, with how far it got."""

    def __init__(self, pages, objects):
        super().__init__(f"{pages} pages, {objects} objects")
        self.pages, self.objects = pages, objects


def listing(session, url, limit, deadline):
    """Every object of the collection, page by page; returns their ids and the pages read.
    Raises Overdue when `deadline` (a perf_counter time) passes first."""
    ids, pages, after = [], 0, None
    while True:
        params = {"limit": limit}
        if after:
            params["next"] = after
        left = deadline - time.perf_counter()
        if left <= 0:
            raise Overdue(pages, len(ids))
        try:
            r = session.get(url, params=params, headers={"Accept": ACCEPT}, timeout=left)
        except requests.Timeout:
            raise Overdue(pages, len(ids)) from None
        r.raise_for_status()
        envelope = r.json()
        pages += 1
        ids.extend(o["id"] for o in envelope.get("objects", []))
        if not envelope.get("more"):
            return ids, pages
        after = envelope["next"]


def time_listings(session, url, limit, rounds, budget):
    # One small request first, untimed, to open the connection and warm any cache.
    try:
        session.get(url, params={"limit": 1}, headers={"Accept": ACCEPT}, timeout=budget).raise_for_status()
    except requests.Timeout:
        raise Overdue(0, 0) from None
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        ids, pages = listing(session, url, limit, t + budget)
        times.append(time.perf_counter() - t)
    return times, ids, pages


def main():
    p = argparse.ArgumentParser()
    p.add_argument("bundle")
    p.add_argument("palisade")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--deadline", type=float, default=600,
                   help="seconds one listing may take before the server is reported as not finishing")
    args = p.parse_args()
    with open(args.bundle, encoding="utf-8") as f:
        objects = json.load(f)["objects"]

    work = tempfile.mkdtemp()
    data = os.path.join(work, "data.json")
    with open(data, "w", encoding="utf-8") as f:
        json.dump(medallion_data(objects), f)
    config = os.path.join(work, "config.json")
    with open(config, "w", encoding="utf-8") as f:
        json.dump(
            {
                "backend": {
                    "module": "medallion.backends.memory_backend",
                    "module_class": "MemoryBackend",
                    "filename": data,
                },
                "users": {"bench": "bench"},
                "taxii": {"max_page_size": 1000},
            },
            f,
        )
    port = free_port()
    medallion = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "medallion"), "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "ERROR", config],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        servers = {
            "Palisade": (args.palisade.rstrip("/") + "/taxii2/api/collections/", None),
            "medallion 3.0.0": (f"http://127.0.0.1:{port}/api1/collections/", ("bench", "bench")),
        }
        urls = {}
        for name, (collections, auth) in servers.items():
            session = requests.Session()
            session.auth = auth
            for _ in range(100):
                try:
                    r = session.get(collections, headers={"Accept": ACCEPT}, timeout=5)
                    break
                except requests.ConnectionError:
                    time.sleep(0.1)
            r.raise_for_status()
            cid = r.json()["collections"][0]["id"]
            urls[name] = (session, f"{collections}{cid}/objects/")
        listed = {}
        for name, (session, url) in urls.items():
            try:
                times, ids, pages = time_listings(session, url, 1000, args.rounds, args.deadline)
            except Overdue as o:
                print(f"{name:16} whole collection, pages of 1000: not finished after "
                      f"{args.deadline:.0f} s ({o.pages} pages, {o.objects} objects read)", flush=True)
                continue
            listed[name] = sorted(ids)
            median = statistics.median(times)
            print(
                f"{name:16} whole collection, pages of 1000: {len(ids)} objects in {pages} pages, "
                f"median {median:.3f} s (min {min(times):.3f} s, {args.rounds} rounds) "
                f"= {len(ids) / median:,.0f} objects/s",
                flush=True,
            )
        if len(listed) == 2:
            palisade_ids, medallion_ids = listed.values()
            if palisade_ids != medallion_ids:
                sys.exit(f"FAIL: the servers list different objects ({len(palisade_ids)} and {len(medallion_ids)})")
            print(f"{len(objects)} objects in the bundle (every version); both servers listed the same "
                  f"{len(palisade_ids)} (the latest of each)")
        for name, (session, url) in urls.items():
            times = []
            try:
                for _ in range(args.rounds):
                    t = time.perf_counter()
                    r = session.get(url, params={"limit": 100}, headers={"Accept": ACCEPT},
                                    timeout=args.deadline)
                    r.raise_for_status()
                    times.append(time.perf_counter() - t)
            except requests.Timeout:
                print(f"{name:16} first page of 100: not answered within {args.deadline:.0f} s", flush=True)
                continue
            print(f"{name:16} first page of 100: median {statistics.median(times) * 1000:.1f} ms "
                  f"(min {min(times) * 1000:.1f} ms, {args.rounds} rounds)", flush=True)
    finally:
        medallion.terminate()
        medallion.wait()


if __name__ == "__main__":
    main()
