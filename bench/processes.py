"""The app's processes, run and measured from the outside: the CLI, and the server."""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path


def progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cli_path() -> str:
    """The `renewals-bot` script of this Python (not a version manager's shim), else the PATH's."""
    beside = Path(sys.executable).with_name("renewals-bot")
    found = str(beside) if beside.exists() else shutil.which("renewals-bot")
    if found is None:
        raise SystemExit("no renewals-bot on PATH: pip install -e . first")
    return found


@dataclass
class Finished:
    """A CLI command that ran: its wall time, its own peak memory, its exit status and output."""

    seconds: float
    peak_mb: float
    status: int
    output: Path
    timed_out: bool = False


def run_cli(args: list[str], *, env: dict[str, str], folder: Path, name: str, timeout: float) -> Finished:
    """Run `renewals-bot ARGS` to its end: wall seconds from start to exit, its own peak RSS.

    os.wait4 gives the child's own resource usage (ru_maxrss), so each command's peak is its own.
    A run longer than `timeout` is killed and reported as timed out.
    """
    output = folder / f"{name}.out"
    with output.open("wb") as handle:
        start = time.perf_counter()
        process = subprocess.Popen(
            [cli_path(), *args], stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=folder
        )
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        timed_out = not killer.is_alive()
        killer.cancel()
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return Finished(seconds, usage.ru_maxrss / 1024, process.returncode, output, timed_out)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def proc_status_mb(pid: int, field_name: str) -> float:
    """VmHWM (peak) or VmRSS of a running process, from /proc, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Server:
    """`renewals-bot serve --no-scheduler` on a free loopback port."""

    def __init__(self, env: dict[str, str], folder: Path) -> None:
        self.port = free_port()
        self.log = folder / "serve.log"
        self._log_handle = self.log.open("wb")
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [cli_path(), "serve", "--host", "127.0.0.1", "--port", str(self.port), "--no-scheduler"],
            stdout=self._log_handle,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_healthy(self, timeout: float = 120.0) -> float:
        """Seconds from start until GET /healthz answered 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"renewals-bot serve exited ({self.process.returncode}):\n{self.tail()}")
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"renewals-bot serve did not answer /healthz in {timeout:.0f} s:\n{self.tail()}")

    def memory_mb(self, field_name: str) -> float:
        return proc_status_mb(self.process.pid, field_name)

    def tail(self, lines: int = 20) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_handle.close()
