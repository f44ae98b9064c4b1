"""What one large inventory upload costs a running server: time and resident memory.

    python3 inventory_memory.py PALISADE_BIN [--components 1000000] [--reads 3]

Seeds a fresh SQLite database with the demonstration data, serves it, and as the demo's
organisation lead uploads a generated CycloneDX document of COMPONENTS libraries (some of them
Log4j versions the demo's alerts name). Then reads the organisation's exposure and unsupported
systems READS times each, and twice at once while /healthz is timed. Prints the upload's answer
and time, each read's time, /healthz during the concurrent reads, and the server's resident
memory (VmRSS) and peak (VmHWM) after each step and once more after five idle seconds.
Standard library only; the server and its database are removed afterwards.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from localport import free_port


def memory(pid):
    """(VmRSS, VmHWM) of the process, in MiB."""
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def request(port, method, path, token, body=None, content_type=None, timeout=600):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if content_type:
        headers["Content-Type"] = content_type
    started = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    res = conn.getresponse()
    data = res.read()
    return res.status, data, time.perf_counter() - started


def bom(components):
    """A CycloneDX 1.6 document of `components` libraries, one in 1,000 a vulnerable Log4j."""
    parts = []
    for i in range(components):
        if i % 1000 == 0:
            purl = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
            name, version = "log4j-core", "2.14.1"
        else:
            name, version = f"lib-{i % 50000}", f"1.{i % 97}.{i % 13}"
            purl = f"pkg:npm/{name}@{version}"
        parts.append(
            f'{{"type":"library","name":"{name}","version":"{version}","purl":"{purl}"}}'
        )
    return (
        '{"bomFormat":"CycloneDX","specVersion":"1.6","metadata":{"component":'
        '{"type":"application","name":"estate","version":"1"}},"components":['
        + ",".join(parts)
        + "]}"
    ).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("--components", type=int, default=1_000_000)
    ap.add_argument("--reads", type=int, default=3)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="palisade-inventory-memory-")
    env = dict(os.environ)
    env["PALISADE_DATABASE_URL"] = f"sqlite://{work}/p.db?mode=rwc"
    env.pop("PALISADE_LOG", None)
    port = free_port()
    subprocess.run([args.bin, "demo", "--no-serve"], env=env, check=True, capture_output=True)
    token = subprocess.run(
        [args.bin, "admin", "create-token", "--email", "lead@example.nhs.uk"],
        env=env, check=True, capture_output=True, text=True,
    ).stdout.strip().splitlines()[-1]
    server = subprocess.Popen(
        [args.bin, "serve", "--listen", f"127.0.0.1:{port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if request(port, "GET", "/healthz", None)[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        me = json.loads(request(port, "GET", "/api/v1/me", token)[1])
        code = next(r["org_code"] for r in me["roles"] if r.get("org_code"))
        print(f"binary {args.bin}; organisation {code}; load {open('/proc/loadavg').read().split()[:3]}")
        print("start: rss %.0f MiB, peak %.0f MiB" % memory(server.pid))
        body = bom(args.components)
        status, data, took = request(
            port, "PUT", f"/api/v1/organisations/{code}/inventory", token, body,
            "application/vnd.cyclonedx+json",
        )
        answer = data[:160].decode(errors="replace")
        print(f"upload of {args.components} components ({len(body) / 1e6:.0f} MB): "
              f"{status} in {took:.2f} s: {answer}")
        print("after upload: rss %.0f MiB, peak %.0f MiB" % memory(server.pid))
        del body
        for path in (f"/api/v1/organisations/{code}/exposure",
                     f"/api/v1/organisations/{code}/unsupported"):
            times = []
            for _ in range(args.reads):
                status, data, took = request(port, "GET", path, token)
                times.append(took)
            print(f"GET {path}: {status}, median {statistics.median(times) * 1000:.0f} ms "
                  f"of {args.reads} ({len(data) / 1e3:.0f} kB)")
        print("after reads: rss %.0f MiB, peak %.0f MiB" % memory(server.pid))
        health, stop = [], threading.Event()

        def probe():
            while not stop.is_set():
                health.append(request(port, "GET", "/healthz", None)[2])
                time.sleep(0.01)

        prober = threading.Thread(target=probe)
        prober.start()
        readers = [
            threading.Thread(target=request, args=(
                port, "GET", f"/api/v1/organisations/{code}/unsupported", token))
            for _ in range(2)
        ]
        started = time.perf_counter()
        for r in readers:
            r.start()
        for r in readers:
            r.join()
        both = time.perf_counter() - started
        stop.set()
        prober.join()
        health.sort()
        print(f"two unsupported reads at once: {both * 1000:.0f} ms; /healthz meanwhile median "
              f"{statistics.median(health) * 1000:.1f} ms, max {health[-1] * 1000:.1f} ms "
              f"({len(health)} probes)")
        time.sleep(5)
        print("five seconds later: rss %.0f MiB, peak %.0f MiB" % memory(server.pid))
    finally:
        server.terminate()
        server.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    sys.exit(main())
