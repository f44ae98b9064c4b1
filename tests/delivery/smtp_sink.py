"""A real SMTP server on loopback (aiosmtpd) that keeps every message it accepts as a file.

Recipients starting `tempfail` get a temporary refusal (451), those starting `reject` a
permanent one (550), so the delivery worker's retry and give-up paths meet a real server.

    python smtp_sink.py DIR [PORT [TLS]]     prints "READY <port>" once listening

PORT 0 (or none) takes a free port. TLS `starttls` offers and requires STARTTLS, `implicit`
speaks TLS from the first byte; either with a self-signed certificate made for the run (with
openssl), which a client checking certificates must refuse.
"""
import os
import socket
import ssl
import subprocess
import sys
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("tempfail"):
            return "451 4.3.0 Mailbox busy, try again later"
        if local.startswith("reject"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = os.path.join(self.folder, f"{time.time_ns()}-{self.count}.eml")
        with open(name + ".tmp", "wb") as f:
            f.write(f"X-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n".encode())
            f.write(envelope.original_content or envelope.content)
        os.replace(name + ".tmp", name)
        return "250 Message accepted for delivery"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def self_signed(folder):
    """A TLS context with a certificate for localhost that no one trusts."""
    cert, key = os.path.join(folder, "sink-cert.pem"), os.path.join(folder, "sink-key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def main():
    folder = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != "0" else free_port()
    tls = sys.argv[3] if len(sys.argv) > 3 else None
    os.makedirs(folder, exist_ok=True)
    options = {}
    if tls == "starttls":
        options = {"tls_context": self_signed(folder), "require_starttls": True}
    elif tls == "implicit":
        options = {"ssl_context": self_signed(folder)}
    elif tls is not None:
        sys.exit(f"TLS must be starttls or implicit, not {tls}")
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=port, **options)
    controller.start()
    print(f"READY {port}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
