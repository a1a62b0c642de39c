"""`fruxon-emulator serve|default-config`: run the emulator in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence

from .config import MAX_PACING_MS, ConfigError, EmulatorConfig, default_config_text
from .server import ListeningEmulator, resolve_config

__all__ = ["SERVE_PACING_MS", "main"]

#: `serve`'s pause between text chunks (for agents without their own
#: `pacing_ms`) unless `--pacing-ms` or `[emulator] default_pacing_ms` say
#: otherwise: about a model's token rate, so streaming is visible in a terminal.
SERVE_PACING_MS = 30


def _pacing(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= MAX_PACING_MS:
        raise argparse.ArgumentTypeError(f"must be an integer from 0 to {MAX_PACING_MS}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fruxon-emulator",
        description="A local server speaking the Fruxon wire protocol.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the API until interrupted")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    serve.add_argument("--port", type=int, default=8787, help="port; 0 picks a free one")
    serve.add_argument("--config", help="TOML config file (default: the shipped agents)")
    serve.add_argument("--db", help="SQLite file for execution records (default: in memory)")
    serve.add_argument(
        "--pacing-ms",
        type=_pacing,
        default=None,
        metavar="MS",
        help=(
            "pause between streamed text chunks for agents without their own pacing_ms"
            f" (default: [emulator] default_pacing_ms, else {SERVE_PACING_MS}; 0 = instant)"
        ),
    )
    commands.add_parser("default-config", help="print the shipped TOML config")
    return parser


def _serve_pacing(requested: int | None, config: EmulatorConfig) -> int:
    if requested is not None:
        return requested
    if config.default_pacing_ms is not None:
        return config.default_pacing_ms
    return SERVE_PACING_MS


async def _serve(emulator: ListeningEmulator, port: int) -> None:
    await emulator.open(port)
    print(f"Fruxon emulator listening on {emulator.base_url}", flush=True)
    print(f"  tenant (org): {emulator.org}", flush=True)
    print(f"  API key:      {emulator.api_key}", flush=True)
    print(f"  stats:        {emulator.base_url}/_emulator/stats", flush=True)
    print(f"  pacing:       {emulator.pacing_ms} ms between text chunks", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows
            loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await emulator.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "default-config":
        sys.stdout.write(default_config_text())
        return 0
    try:
        config = resolve_config(args.config)
    except (ConfigError, OSError) as exc:
        print(f"fruxon-emulator: {exc}", file=sys.stderr)
        return 2
    try:
        pacing = _serve_pacing(args.pacing_ms, config)
        emulator = ListeningEmulator(config, args.db, args.host, pacing)
        asyncio.run(_serve(emulator, args.port))
    except KeyboardInterrupt:  # pragma: no cover - signal handler normally wins
        pass
    except OSError as exc:
        print(f"fruxon-emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
