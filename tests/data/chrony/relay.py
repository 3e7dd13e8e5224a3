#!/usr/bin/env python3
# relay.py PORT SOCKET - forwards UDP datagrams from 127.0.0.1:PORT to
# chronyd's Unix socket and the replies back, so that chronyc's exchanges
# of Unix-only commands (serverstats, ntpdata, clients) cross the loopback
# interface as UDP and can be captured.  The payloads are passed unchanged.
# Used by make-captures.sh; needs to run as chronyd's user (or root).
import os
import signal
import socket
import sys

port, server = int(sys.argv[1]), sys.argv[2]
local = os.path.join(os.path.dirname(server), "relay.%d.sock" % os.getpid())
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
u = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
try:
    os.unlink(local)
except FileNotFoundError:
    pass
u.bind(local)
try:
    os.chmod(local, 0o666)  # chronyd may run as another user
    u.connect(server)
    u.settimeout(2)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", port))
    print("ready", flush=True)
    while True:
        data, peer = s.recvfrom(2048)
        u.send(data)
        try:
            s.sendto(u.recv(2048), peer)
        except socket.timeout:
            pass
finally:
    os.unlink(local)
