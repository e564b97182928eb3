"""A redis-server of a test's own, on a free loopback port, that the test may kill."""

import shutil
import socket
import subprocess
import time

import pytest
import redis

from config.settings import redis_cache

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """Started on construction; `kill()` takes it away (SIGKILL), as a crash would."""

    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.port), "--save", ""]
            + ["--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            self.kill()
            raise RuntimeError("redis-server did not start")
        client.close()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def own_redis():
    """(url, process) of a redis-server of this test's own; the test may kill the process."""
    server = RedisServer()
    yield server.url, server.process
    server.kill()


@pytest.fixture
def doomed_redis(settings):
    """A Redis of this test's own, wired in as the cache and the grab gate; killed after."""
    server = RedisServer()
    settings.REDIS_URL = server.url
    settings.CACHES = {"default": redis_cache(server.url)}
    yield server
    server.kill()
