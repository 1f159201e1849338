"""Running `renewals-bot` as a real process, with its output piped or in a pseudo-terminal."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import socket
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

# The console script's entry point, run by this interpreter.
CLI = [sys.executable, "-c", "from bot.cli.main import main; main()"]
TIMEOUT = 60
# Colours, bold and the cursor moves rich writes to a terminal.
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def cli_env(folder: Path, **env: str) -> dict[str, str]:
    """This environment without Slack or database settings, a SQLite file in `folder`, then `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE_URL", "RENEWALS_"))}
    base["DATABASE_URL"] = f"sqlite:///{folder}/renewals.db"
    return {**base, **env}


def run_piped(folder: Path, args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    """`renewals-bot ARGS` in `folder`, stdout and stderr captured through pipes."""
    return subprocess.run(
        [*CLI, *args], cwd=folder, env=cli_env(folder, **env), capture_output=True, text=True, timeout=TIMEOUT
    )


def run_in_terminal(folder: Path, args: list[str], *, columns: int = 200, **env: str) -> str:
    """What a person sees running `renewals-bot ARGS` at a terminal `columns` wide (escape codes removed)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    # The terminal's own size decides, as for a person: not a COLUMNS the test run may carry.
    environment = {k: v for k, v in cli_env(folder, TERM="xterm-256color", **env).items() if k != "COLUMNS"}
    process = subprocess.Popen(
        [*CLI, *args], cwd=folder, env=environment, stdin=follower, stdout=follower, stderr=follower
    )
    os.close(follower)
    output = bytearray()
    deadline = time.monotonic() + TIMEOUT
    try:
        while time.monotonic() < deadline:
            if not select.select([leader], [], [], 1)[0]:
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the process ended and closed the terminal
                break
            if not chunk:
                break
            output += chunk
        process.wait(timeout=max(deadline - time.monotonic(), 1))
    finally:
        process.kill()
        os.close(leader)
    return _ESCAPES.sub("", output.decode()).replace("\r\n", "\n")


def free_port() -> int:
    """A TCP port nothing listens on right now, for a `serve` process."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
