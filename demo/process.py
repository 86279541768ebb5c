"""Run the server in a child process on a free local port (for the tests, the benchmark and the screenshot).

    with ServerProcess(model="path/to/checkpoint", args=["--queue-articles", "8"], nofile=128) as server:
        urllib.request.urlopen(server.url + "/healthz")
    server.returncode            # 0 after a clean SIGTERM stop

The child is `python -m demo.server`, so it is the real thing: uvicorn, the lifespan, signals, logging.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Sequence


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class ServerProcess:
    """`python -m demo.server` (or `presslens serve`) in a child process; its output goes to `log_path`."""

    def __init__(self, model: str | Path | None = None, *, args: Sequence[str] = (), host: str = "127.0.0.1",
                 log_path: str | Path | None = None, nice: int = 0, cli: bool = False,
                 nofile: int | None = None) -> None:
        self.host, self.port = host, free_port(host)
        self.url = f"http://{host}:{self.port}"
        self.log_path = Path(log_path) if log_path else Path(tempfile.mkstemp(prefix="presslens-server-",
                                                                                suffix=".log")[1])
        # cli=True runs `presslens serve` (its options only) instead of `python -m demo.server` (every knob).
        entry = ["classifier.cli", "serve"] if cli else ["demo.server"]
        self.command = [sys.executable, "-m", *entry, "--host", host, "--port", str(self.port), *args]
        if model is not None:
            self.command += ["--model", str(model)]
        self.nice = nice
        self.nofile = nofile  # the child's open-file limit (RLIMIT_NOFILE), e.g. to test connection bounds
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 300.0) -> "ServerProcess":
        """Start the child and wait until /healthz answers 200; RuntimeError (with the log) otherwise."""
        log = open(self.log_path, "wb")
        env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            self.command, stdout=log, stderr=subprocess.STDOUT, env=env,
            preexec_fn=self._in_child if self.nice or self.nofile else None,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        self.kill()
        raise RuntimeError(f"the server did not become healthy within {timeout:.0f} s:\n{self.log()}")

    def _in_child(self) -> None:
        """Runs in the child before it executes the server: its niceness and its file limit."""
        if self.nice:
            os.nice(self.nice)
        if self.nofile:
            import resource

            resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM, then wait for the exit status (SIGKILL after `timeout`, returning -9)."""
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.process.returncode

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
