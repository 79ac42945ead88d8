# SPDX-License-Identifier: Apache-2.0
# One Docker Engine API request over its unix socket, for the e2e scenarios (run inside the
# virtual server): prints the HTTP status on the first line, then the body.
#   python3 docker_api.py SOCKET METHOD PATH [JSON-BODY]
import http.client
import socket
import sys


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("docker", timeout=120)
        self.unix_path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(120)
        self.sock.connect(self.unix_path)


def main():
    sock, method, path = sys.argv[1:4]
    body = sys.argv[4].encode() if len(sys.argv) > 4 else None
    conn = UnixConnection(sock)
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    reply = conn.getresponse()
    print(reply.status)
    sys.stdout.write(reply.read().decode(errors="replace"))
    print()


main()
