"""A throwaway 3-node Redis Cluster on free loopback ports, for tests.

cluster = RedisCluster.start(tmp_dir); cluster.url  # redis://127.0.0.1:<port>/0
cluster.stop()
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path


def _free_port() -> int:
    """A free port whose cluster bus port (+10000) is free too."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port


class RedisCluster:
    def __init__(self, ports: list[int], processes: list[subprocess.Popen]):
        self.ports = ports
        self.processes = processes

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    @classmethod
    def start(cls, directory: Path, nodes: int = 3) -> "RedisCluster":
        if not (shutil.which("redis-server") and shutil.which("redis-cli")):
            raise RuntimeError("needs redis-server and redis-cli")
        ports, processes = [], []
        for _ in range(nodes):
            port = _free_port()
            node_dir = directory / str(port)
            node_dir.mkdir(parents=True)
            command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
            command += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
            command += ["--dir", str(node_dir), "--save", "", "--appendonly", "no"]
            processes.append(subprocess.Popen(command, stdout=subprocess.DEVNULL))
            ports.append(port)
        cluster = cls(ports, processes)
        try:
            for port in ports:
                cluster._wait(port, "PING", "PONG")
            subprocess.run(
                ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in ports)]
                + ["--cluster-replicas", "0", "--cluster-yes"],
                check=True,
                capture_output=True,
                timeout=60,
            )
            for port in ports:
                cluster._wait(port, "CLUSTER INFO", "cluster_state:ok")
        except Exception:
            cluster.stop()
            raise
        return cluster

    def _wait(self, port: int, command: str, expected: str) -> None:
        for _ in range(200):
            answer = subprocess.run(
                ["redis-cli", "-h", "127.0.0.1", "-p", str(port), *command.split()],
                capture_output=True,
                text=True,
            ).stdout
            if expected in answer:
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis node {port}: no {expected!r}")

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
