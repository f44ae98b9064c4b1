"""/healthz while sign-in attempts for unknown accounts flood the server.

    python3 signin_flood.py BASE_URL [--attempts 400] [--concurrency 32]

First times /healthz alone (100 requests), then again while ATTEMPTS sign-ins (each a GET of
the form for its cookie and a POST with a wrong email and password) run CONCURRENCY at a time.
Prints the median and 95th percentile of /healthz in milliseconds, alone and during the flood,
and how the sign-ins were answered (401 refused, 429 over a rate limit).
Standard library only.
"""

import argparse
import collections
import http.client
import statistics
import threading
import time
import urllib.parse


def connect(base):
    u = urllib.parse.urlparse(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=120)


def health_times(base, stop=None, count=100):
    conn = connect(base)
    times = []
    while (stop is None and len(times) < count) or (stop is not None and not stop.is_set()):
        t = time.perf_counter()
        conn.request("GET", "/healthz")
        conn.getresponse().read()
        times.append((time.perf_counter() - t) * 1000)
        time.sleep(0.01)
    return times


def attempt(conn, email):
    """One sign-in attempt on `conn`: the form for its cookie, then the post; its status."""
    conn.request("GET", "/sign-in")
    res = conn.getresponse()
    res.read()
    cookie = next(
        (
            c.split(";")[0]
            for c in res.headers.get_all("Set-Cookie") or []
            if c.startswith("palisade_presession=")
        ),
        None,
    )
    if cookie is None:
        return res.status  # refused before the form (a rate limit)
    token = cookie.split("=", 1)[1]
    body = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": "wrong"})
    conn.request(
        "POST",
        "/sign-in",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    res = conn.getresponse()
    res.read()
    return res.status


def sign_ins(base, n, offset, answers):
    conn = connect(base)
    for i in range(n):
        try:
            answers.append(attempt(conn, f"nobody{offset + i}@example.nhs.uk"))
        except (OSError, http.client.HTTPException):
            # A refusal sent before the body was read ends the connection: a new one goes on.
            answers.append("closed")
            conn = connect(base)


def summary(times):
    times = sorted(times)
    return f"median {statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95) - 1]:.1f} ms ({len(times)} requests)"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("base")
    p.add_argument("--attempts", type=int, default=400)
    p.add_argument("--concurrency", type=int, default=32)
    a = p.parse_args()
    print("/healthz alone:           ", summary(health_times(a.base)))
    stop = threading.Event()
    result = {}
    prober = threading.Thread(target=lambda: result.update(t=health_times(a.base, stop)))
    prober.start()
    per = a.attempts // a.concurrency
    started = time.perf_counter()
    answers = []
    workers = [
        threading.Thread(target=sign_ins, args=(a.base, per, w * per, answers))
        for w in range(a.concurrency)
    ]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    took = time.perf_counter() - started
    stop.set()
    prober.join()
    print("/healthz during the flood:", summary(result["t"]))
    counts = ", ".join(
        f"{n} answered {s}" for s, n in sorted(collections.Counter(map(str, answers)).items())
    )
    print(f"{per * a.concurrency} sign-ins in {took:.1f} s: {counts}")


if __name__ == "__main__":
    main()
