"""The indicators TAXII collection listed whole with taxii2-client, as an integrator would.

    python taxii_indicators_bench.py PALISADE_BASE_URL [--rounds N] [--token T]

Finds the collection titled "Indicators of compromise" through the server's discovery and API
root, then, each round, follows every page (`as_pages`, 1,000 objects a page) until the server
says there is no more, over one keep-alive connection. Without --token the listing is the
anonymous one (TLP:CLEAR); with a bearer token, what that token may see. Prints each round's
seconds and objects, and the median.
"""

import argparse
import statistics
import time

import requests
from taxii2client.v21 import Server, as_pages


class Bearer(requests.auth.AuthBase):
    def __init__(self, token):
        self.token = token

    def __call__(self, r):
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


def main():
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--token")
    a = p.parse_args()
    auth = Bearer(a.token) if a.token else None
    server = Server(a.base.rstrip("/") + "/taxii2/", auth=auth)
    root = server.api_roots[0]
    collection = next(c for c in root.collections if c.title == "Indicators of compromise")
    times = []
    for n in range(a.rounds):
        start = time.perf_counter()
        objects = 0
        for envelope in as_pages(collection.get_objects, per_request=1000):
            objects += len(envelope.get("objects", []))
        took = time.perf_counter() - start
        times.append(took)
        print(f"round {n + 1}: {took:.2f} s, {objects} objects ({objects / took:,.0f} objects/s)")
    print(f"median {statistics.median(times):.2f} s over {len(times)} rounds")


main()
