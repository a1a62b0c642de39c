"""Fixtures of the CLI tests (the helpers live in cli_harness.py)."""

from __future__ import annotations

import socket

import pytest
from cli_harness import Cli
from typer.testing import CliRunner

from fruxon_emulator import EmulatorServer


@pytest.fixture
def cli(fruxon_emulator: EmulatorServer) -> Cli:
    return Cli(fruxon_emulator, CliRunner())


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
