"""``gom serve`` started as a separate process on a free localhost port, for scripts that need a
running server (the tests, the load benchmark): waits until it answers ``/health``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    """``gom serve ARGS`` run in ``workdir``; its output goes to ``log`` (default ``workdir/serve-PORT.log``)."""

    def __init__(
        self, workdir: str | Path, *args: str, env: dict | None = None, timeout: float = 180, log: Path | None = None
    ):
        port = free_port()
        self.workdir, self.url = Path(workdir), f"http://127.0.0.1:{port}"
        self.log = Path(log) if log is not None else self.workdir / f"serve-{port}.log"
        environ = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false", **(env or {})}
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gom.cli", "serve", "--port", str(port), *args],
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environ,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gom serve exited with {self.proc.returncode}:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.url}/health", timeout=2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"gom serve did not answer /health in {timeout} s:\n{self.output()}") from None
                time.sleep(0.3)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def stop(self) -> int:
        """SIGTERM (in-flight requests are answered first), then the exit status."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
