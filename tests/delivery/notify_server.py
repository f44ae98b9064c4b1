"""A local server speaking the GOV.UK Notify REST API for text messages, for tests.

It checks what the real service checks of a request: a bearer JSON Web Token signed (HS256)
with the API key's secret, whose `iss` is the service id and whose `iat` is within 30 seconds
of now; a UK mobile number; the template id; the template's personalisation (`body`). It
answers 201 with the documented response, or the documented error shape:
{"status_code": 400, "errors": [{"error": "ValidationError", "message": "..."}]}.
`GET /v2/notifications?template_type=sms&reference=R` lists the notifications accepted with that
reference, newest first, as {"notifications": [...], "links": {...}}. Like the real service it
never refuses a second notification with a reference it has seen.

Test controls (not part of Notify): `POST /_control {"fail_next": N, "status": 500}` makes the
next N requests fail; `{"hang_next": N, "hang_seconds": S}` makes the next N accepted
notifications wait S seconds before the answer (they are kept, as when a sender dies before
reading the answer); `{"latency": S}` makes every answer from then on take S seconds, as the
real service's round trip does; `GET /_sent` lists the notifications accepted so far.

    python notify_server.py API_KEY TEMPLATE_ID [PORT]   prints "READY <port>" once listening
"""
import base64
import hashlib
import hmac
import json
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

API_KEY, TEMPLATE_ID = sys.argv[1], sys.argv[2]
SERVICE_ID, SECRET = API_KEY[-73:-37], API_KEY[-36:]
lock = threading.Lock()
sent = []
failures = {"left": 0, "status": 500}
hangs = {"left": 0, "seconds": 0.0, "latency": 0.0}


def b64decode(part):
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def check_token(header):
    if not header.startswith("Bearer "):
        return "Unable to parse authorization header"
    try:
        head, claims, signature = header[7:].split(".")
        expected = hmac.new(SECRET.encode(), f"{head}.{claims}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, b64decode(signature)):
            return "Invalid token: signature, api token not found"
        if json.loads(b64decode(head)).get("alg") != "HS256":
            return "Invalid token: algorithm"
        body = json.loads(b64decode(claims))
    except (ValueError, KeyError):
        return "Invalid token: malformed"
    if body.get("iss") != SERVICE_ID:
        return "Invalid token: service not found"
    if abs(int(body.get("iat", 0)) - time.time()) > 30:
        return "Error: Your system clock must be accurate to within 30 seconds"
    return None


def uk_mobile(number):
    digits = re.sub(r"[\s()+-]", "", number)
    if digits.startswith("44"):
        digits = "0" + digits[2:]
    return digits if re.fullmatch(r"07\d{9}", digits) else None


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, kind, message):
        self.reply(status, {"status_code": status, "errors": [{"error": kind, "message": message}]})

    def do_GET(self):
        if self.path == "/_sent":
            with lock:
                return self.reply(200, list(sent))
        url = urlsplit(self.path)
        if url.path != "/v2/notifications":
            return self.error(404, "NotFound", "Not found")
        problem = check_token(self.headers.get("Authorization", ""))
        if problem:
            return self.error(403, "AuthError", problem)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        with lock:
            if failures["left"] > 0:
                failures["left"] -= 1
                return self.error(failures["status"], "Exception", "Internal server error")
            found = [
                {k: v for k, v in n.items() if k != "phone_number"}
                for n in reversed(sent)
                if ("reference" not in query or n.get("reference") == query["reference"])
                and query.get("template_type", "sms") == "sms"
            ]
        self.reply(200, {"notifications": found, "links": {"current": self.path}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", 0))
        raw = self.rfile.read(length)
        if self.path == "/_control":
            body = json.loads(raw or b"{}")
            with lock:
                failures["left"] = int(body.get("fail_next", 0))
                failures["status"] = int(body.get("status", 500))
                hangs["left"] = int(body.get("hang_next", 0))
                hangs["seconds"] = float(body.get("hang_seconds", 0))
                hangs["latency"] = float(body.get("latency", hangs["latency"]))
            return self.reply(200, {})
        if self.path != "/v2/notifications/sms":
            return self.error(404, "NotFound", "Not found")
        problem = check_token(self.headers.get("Authorization", ""))
        if problem:
            return self.error(403, "AuthError", problem)
        with lock:
            if failures["left"] > 0:
                failures["left"] -= 1
                status = failures["status"]
                return self.error(status, "Exception", "Internal server error")
        try:
            body = json.loads(raw)
        except ValueError:
            return self.error(400, "BadRequestError", "Invalid JSON supplied in POST data")
        number = uk_mobile(str(body.get("phone_number", "")))
        if number is None:
            return self.error(400, "ValidationError", "phone_number Not a UK mobile number")
        if body.get("template_id") != TEMPLATE_ID:
            return self.error(400, "BadRequestError", "Template not found")
        text = (body.get("personalisation") or {}).get("body")
        if not isinstance(text, str):
            return self.error(400, "BadRequestError", "Missing personalisation: body")
        notification = {
            "id": str(uuid.uuid4()),
            "reference": body.get("reference"),
            "content": {"body": text, "from_number": "NHSCyber"},
            "uri": f"http://{self.headers.get('Host')}/v2/notifications/{uuid.uuid4()}",
            "template": {"id": TEMPLATE_ID, "version": 1, "uri": f"/v2/template/{TEMPLATE_ID}"},
        }
        with lock:
            sent.append({"phone_number": number, "type": "sms", "status": "sending", **notification})
            hang = hangs["latency"]
            if hangs["left"] > 0:
                hangs["left"] -= 1
                hang = hangs["seconds"]
        if hang:
            time.sleep(hang)
        self.reply(201, notification)


def main():
    port = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    # A sender keeps many requests in flight: room for them all in the listen queue, where
    # socketserver's default of 5 would leave connections waiting seconds to be accepted.
    ThreadingHTTPServer.request_queue_size = 1024
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"READY {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
