#!/usr/bin/env python3
"""The slow API stand-in for the in-flight test: canned JSON for
POST /otp/send and /otp/verify, answered DELAY seconds after the request
has been read, over HTTP/1.1 keepalive; thousands of connections at once
on one asyncio loop (a thread per connection would not hold 1,000).

    python3 bench/slow_api.py --port 18102 --delay 0.2 --pid-file F

Standard library only.  SIGTERM or SIGINT stops it.
"""

import argparse
import asyncio
import os
import signal

SEND = (b'{"success":true,"statusCode":201,"data":{"requestId":'
        b'"3f1c9a2e-7b4d-4e8f-9a1b-2c3d4e5f6a7b","expiresAt":'
        b'"2026-01-01T00:00:00.000Z","attemptsLeft":3}}')
VERIFY = b'{"success":true,"data":{"verified":true}}'
MISSING = b'{"success":false,"statusCode":404,"message":"not found"}'


def reply(status, body):
    reason = {200: b"OK", 201: b"Created", 404: b"Not Found"}[status]
    return (b"HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n" % (status, reason, len(body))
            + body)


ANSWERS = {
    b"/otp/send": reply(201, SEND),
    b"/otp/verify": reply(200, VERIFY),
}
NOT_FOUND = reply(404, MISSING)


class Api(asyncio.Protocol):
    """One connection: requests are parsed as they come (Content-Length
    bodies only, which is what nginx's proxy sends) and each is answered
    after the delay, in order."""

    def __init__(self, loop, delay):
        self.loop = loop
        self.delay = delay
        self.buf = b""
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def data_received(self, data):
        self.buf += data

        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return

            head = self.buf[:end]
            length = 0
            close = False

            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection":
                    close = value.strip().lower() == b"close"

            if len(self.buf) < end + 4 + length:
                return

            path = head.split(b" ", 2)[1]
            self.buf = self.buf[end + 4 + length:]

            self.loop.call_later(self.delay, self.answer,
                                 ANSWERS.get(path, NOT_FOUND), close)

    def answer(self, data, close):
        if self.transport.is_closing():
            return

        self.transport.write(data)

        if close:
            self.transport.close()



async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--delay", type=float, default=0.2)
    p.add_argument("--pid-file")
    a = p.parse_args()

    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set_result, None)

    server = await loop.create_server(lambda: Api(loop, a.delay),
                                      "127.0.0.1", a.port, backlog=4096,
                                      reuse_address=True)

    if a.pid_file:
        with open(a.pid_file, "w") as f:
            f.write("%d\n" % os.getpid())

    try:
        await stop
    finally:
        server.close()
        if a.pid_file:
            os.unlink(a.pid_file)


if __name__ == "__main__":
    asyncio.run(main())
