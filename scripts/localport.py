"""A free TCP port on loopback, for the measuring scripts that start a server of their own."""

import socket


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
