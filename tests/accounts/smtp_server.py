"""A real SMTP server for tests (aiosmtpd in a thread of the test process, on loopback).

It can refuse the next N messages with a 4xx answer, or hold the next one in DATA until the
test lets it go (to kill a worker in the middle of sending). It counts only messages it answered
250 to, which is when an SMTP server takes responsibility for a message."""

import asyncio
import threading
import time
from email import message_from_bytes

from aiosmtpd.controller import Controller

from tests import ports

PORTS = range(9800, 9900)


def free_port():
    return ports.free_port(PORTS)


class Handler:
    def __init__(self):
        self.received = []
        self.refuse_next = 0
        self.hold_next = False
        self.holding = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            refuse = self.refuse_next > 0
            if refuse:
                self.refuse_next -= 1
            hold, self.hold_next = self.hold_next, False
        if refuse:
            return "451 4.3.0 Try again later"
        if hold:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.3.0 Lost the client"
        with self.lock:
            self.received.append(message_from_bytes(envelope.original_content))
        return "250 2.0.0 OK"

    def wait_for(self, count, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received) >= count:
                return True
            time.sleep(0.05)
        return False


class SMTPServer:
    def __init__(self):
        self.handler = Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.handler.release.set()
        self.controller.stop()

    @property
    def received(self):
        return self.handler.received
