"""Texts sent twice when the server is killed while sending: `kill -9` in the middle of delivery.

    python3 notify_crash.py PALISADE_BIN [--texts 3600] [--kills 6] [--latency 0.2]
                            [--concurrency 64]

Starts the local GOV.UK Notify peer (tests/delivery/notify_server.py, answering after LATENCY
seconds, as the real service's round trip does), seeds a fresh SQLite database with the demo,
serves it with text messages going to the peer (CONCURRENCY in flight), adds TEXTS contacts who take texts alone to the
demo lead's organisation and publishes a High alert to it. While the texts go out the server is
killed with SIGKILL KILLS times, a second and a half apart, and started again each time. Once
every text is recorded as sent (claims left by a killed server run out after their lease) it
prints how many texts the peer accepted and how many references they carried: the difference is
the texts sent twice. Standard library only.
"""

import argparse
import json
import os
import pathlib
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

from localport import free_port

API_KEY = "palisade_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a"
PEER = pathlib.Path(__file__).resolve().parent.parent / "tests" / "delivery" / "notify_server.py"


def call(url, method="GET", token=None, body=None):
    req = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if body is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=60) as res:
        return json.loads(res.read() or b"null")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bin")
    ap.add_argument("--texts", type=int, default=3600)
    ap.add_argument("--kills", type=int, default=6)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--concurrency", type=int, default=64)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="palisade-notify-crash-")
    peer = subprocess.Popen(
        [sys.executable, str(PEER), API_KEY, TEMPLATE],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    notify = f"http://127.0.0.1:{peer.stdout.readline().split()[1]}"
    call(f"{notify}/_control", "POST", body={"latency": args.latency})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ)
    env.update({
        "PALISADE_DATABASE_URL": f"sqlite://{work}/p.db?mode=rwc",
        "PALISADE_NOTIFY_API_KEY": API_KEY,
        "PALISADE_NOTIFY_BASE_URL": notify,
        "PALISADE_NOTIFY_SMS_TEMPLATE_ID": TEMPLATE,
        "PALISADE_DELIVERY_CONCURRENCY": str(args.concurrency),
        "PALISADE_RATE_LIMIT_PER_SECOND": "100000",
        "PALISADE_RATE_LIMIT_BURST": "100000",
        "PALISADE_TOKEN_RATE_LIMIT_PER_SECOND": "100000",
        "PALISADE_TOKEN_RATE_LIMIT_BURST": "100000",
    })
    env.pop("PALISADE_LOG", None)
    server = None

    def serve():
        s = subprocess.Popen(
            [args.bin, "serve", "--listen", f"127.0.0.1:{port}"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
                return s
            except OSError:
                time.sleep(0.05)
        raise SystemExit("the server did not start")

    try:
        subprocess.run([args.bin, "demo", "--no-serve"], env=env, check=True, capture_output=True)
        token = lambda email: subprocess.run(  # noqa: E731
            [args.bin, "admin", "create-token", "--email", email],
            env=env, check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
        admin, lead = token("admin@example.nhs.uk"), token("lead@example.nhs.uk")
        server = serve()
        me = call(f"{base}/api/v1/me", token=lead)
        code = next(r["org_code"] for r in me["roles"] if r.get("org_code"))
        for i in range(args.texts):
            call(f"{base}/api/v1/organisations/{code}/contacts", "POST", admin, {
                "name": f"Texts {i}", "role": "alert_contact",
                "email": f"texts{i}@example.nhs.uk", "mobile": f"07700 {900000 + i:06d}",
                "alert_channels": "sms",
            })
        call(f"{base}/api/v1/alerts", "POST", admin, {
            "title": "Exploited VPN flaw", "severity": "high", "type": "vulnerability",
            "summary": "Patch now.", "audience": {"codes": [code]},
            "response_required": True, "publish": True,
        })
        for _ in range(args.kills):
            time.sleep(1.5)
            server.send_signal(signal.SIGKILL)
            server.wait()
            server = serve()
        # Until every text is recorded as sent: claims a killed server left run out after
        # their lease, and only then is each of those texts sent again, or found at Notify.
        started = time.time()
        db = sqlite3.connect(f"file:{work}/p.db?mode=ro", uri=True)
        while time.time() - started < 600:
            waiting = db.execute(
                "SELECT COUNT(*) FROM outbox WHERE channel = 'sms' AND sent_at IS NULL "
                "AND gave_up_at IS NULL"
            ).fetchone()[0]
            if waiting == 0:
                break
            time.sleep(1)
        db.close()
        sent = call(f"{notify}/_sent")
        refs = {t["reference"] for t in sent}
        print(f"binary {args.bin}: {args.kills} kills; Notify accepted {len(sent)} texts for "
              f"{len(refs)} references of {args.texts}: {len(sent) - len(refs)} sent twice "
              f"(all recorded as sent {time.time() - started:.0f} s after the last restart)")
    finally:
        if server:
            server.kill()
            server.wait()
        peer.kill()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
