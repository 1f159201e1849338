"""The Dockerfile and compose.yaml, proved without a container runtime.

No image is built here (CI has no Docker daemon). Instead the Dockerfile's own install step runs in
a fresh virtualenv on the files its COPY lines name, then its CMD serves and its HEALTHCHECK passes;
compose.yaml is checked for what running it needs, and validated by `docker compose config` (or the
older `docker-compose config`) where one is installed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import venv
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli_support import free_port
from tests.fake_slack import FakeSlack

ROOT = Path(__file__).resolve().parent.parent


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    joined = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    result = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            result.append((word.upper(), " ".join(rest.split())))
    return result


def only(name: str) -> str:
    [value] = [rest for word, rest in instructions() if word == name]
    return value


def test_the_image_is_slim_python_and_runs_serve_as_a_user_that_is_not_root() -> None:
    assert only("FROM") == "python:3.12-slim"
    assert only("USER") not in ("root", "0")
    assert json.loads(only("CMD"))[:2] == ["renewals-bot", "serve"]
    assert only("EXPOSE") == "3000"
    healthcheck = only("HEALTHCHECK")
    assert "/healthz" in healthcheck and "curl" not in healthcheck
    # The user is set after the install (pip needs root) and before the command.
    order = [word for word, _ in instructions()]
    assert order.index("RUN", order.index("COPY")) < order.index("USER") < order.index("CMD")


def test_nothing_the_package_needs_is_left_out_of_the_image() -> None:
    copied = {part for word, rest in instructions() if word == "COPY" for part in rest.split()[:-1]}
    packages = _package_folders()
    assert packages <= copied, f"not copied into the image: {sorted(packages - copied)}"
    assert {"pyproject.toml", "README.md"} <= copied  # the build reads both
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert ".env" in ignored and not packages & set(ignored)


def _package_folders() -> set[str]:
    import tomllib

    found = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"]
    return {pattern.rstrip("*") for pattern in found["include"]}


def _healthcheck(port: int, python: str) -> subprocess.CompletedProcess[str]:
    command = json.loads(only("HEALTHCHECK").split(" CMD ", 1)[1])
    assert command[0] == "python"
    command = [python, *(part.replace("127.0.0.1:3000", f"127.0.0.1:{port}") for part in command[1:])]
    return subprocess.run(command, capture_output=True, text=True, timeout=30)


def test_the_dockerfile_install_step_builds_an_app_whose_command_serves_and_passes_its_healthcheck(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    # The build context: only what the COPY lines name, as Docker would send it.
    context = tmp_path / "src"
    context.mkdir()
    for word, rest in instructions():
        if word == "COPY":
            *sources, _ = rest.split()
            for source in sources:
                if (ROOT / source).is_dir():
                    shutil.copytree(
                        ROOT / source, context / source, ignore=shutil.ignore_patterns("__pycache__")
                    )
                else:
                    shutil.copy(ROOT / source, context / source)
    installs = [rest for word, rest in instructions() if word == "RUN" and rest.startswith("pip ")]
    assert len(installs) == 1
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    virtualenv = tmp_path / "venv"
    venv.create(virtualenv, with_pip=True)
    env["PATH"] = f"{virtualenv / 'bin'}{os.pathsep}{env['PATH']}"

    # The RUN step as written, with the virtualenv's pip standing in for the image's.
    built = subprocess.run(installs[0], shell=True, cwd=context, env=env, capture_output=True, text=True)
    assert built.returncode == 0, built.stderr[-2000:]

    port = free_port()
    command = json.loads(only("CMD"))
    command = [arg.replace("0.0.0.0", "127.0.0.1").replace("3000", str(port)) for arg in command]
    home = tmp_path / "home"  # the image's WORKDIR: no .env, nothing of the repository
    home.mkdir()
    env.update(
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
        SLACK_API_URL=fake_slack.api_url,
        DATABASE_URL=f"sqlite:///{home}/renewals.db",
    )
    serving = subprocess.Popen(
        [str(virtualenv / "bin" / command[0]), *command[1:]],
        cwd=home,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    python = str(virtualenv / "bin" / "python")
    try:
        deadline = time.monotonic() + 60
        while serving.poll() is None and time.monotonic() < deadline:
            if _healthcheck(port, python).returncode == 0:
                break
            time.sleep(0.5)
        assert _healthcheck(port, python).returncode == 0, serving.stderr.read() if serving.poll() else ""
    finally:
        serving.send_signal(signal.SIGTERM)
        serving.communicate(timeout=20)

    # The installed app is the copy in the virtualenv, not this checkout.
    where = subprocess.run(
        [python, "-c", "import bot; print(bot.__file__)"], cwd=home, env=env, capture_output=True, text=True
    )
    assert str(virtualenv) in where.stdout
    assert _healthcheck(port, python).returncode != 0  # and it fails once nothing answers


# --- compose.yaml --------------------------------------------------------------------------------


def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_runs_postgresql_and_two_copies_of_the_app() -> None:
    services = compose()["services"]

    assert set(services) == {"db", "app1", "app2"}
    assert services["db"]["image"].startswith("postgres:")
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    for name in ("app1", "app2"):
        app = services[name]
        assert app["build"] == "."
        assert app["depends_on"] == {"db": {"condition": "service_healthy"}}
        assert app["env_file"] == ".env"
        assert app["environment"]["DATABASE_URL"].startswith("postgresql://renewals:")
        assert app["environment"]["DATABASE_URL"].endswith("@db:5432/renewals")
    host_ports = [services[name]["ports"][0].split(":") for name in ("app1", "app2")]
    assert [port for _, port in host_ports] == ["3000", "3000"]
    assert host_ports[0][0] != host_ports[1][0]


def test_every_setting_compose_reads_from_env_is_in_the_example() -> None:
    import re

    wanted = set(re.findall(r"\$\{([A-Z_]+)", (ROOT / "compose.yaml").read_text()))
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    assert wanted <= example
    assert {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"} <= example


def compose_command() -> list[str] | None:
    """Docker's compose plugin, or the older standalone docker-compose; None when neither is here."""
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    return ["docker-compose"] if shutil.which("docker-compose") else None


NO_COMPOSE = (
    "neither docker compose nor docker-compose is installed: compose.yaml is checked with PyYAML only"
)


@pytest.mark.skipif(compose_command() is None, reason=NO_COMPOSE)
def test_docker_compose_accepts_the_file_and_gives_each_copy_the_database(tmp_path: Path) -> None:
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    command = compose_command()
    assert command is not None

    done = subprocess.run([*command, "config"], cwd=tmp_path, capture_output=True, text=True, timeout=60)

    assert done.returncode == 0, done.stderr
    services = yaml.safe_load(done.stdout)["services"]
    for name in ("app1", "app2"):
        assert (
            services[name]["environment"]["DATABASE_URL"]
            == "postgresql://renewals:change-me@db:5432/renewals"
        )
        assert services[name]["environment"]["SLACK_SIGNING_SECRET"]  # from .env
