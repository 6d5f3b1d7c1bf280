"""The `propnet-firmware` command: validate, build, deploy, update and simulate prop configs."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
import sys

from .build import BuildError, build
from .deploy import DeployError, deploy, deploy_romfs
from .loader import ConfigError
from .schema import FILES, compile_config, plain
from .simulate import simulate
from .update import PropLink, UpdateError, files_to_send, push


def _broker(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError("expected HOST:PORT")
    return host, int(port)


def parser() -> argparse.ArgumentParser:
    """Return the command line parser."""
    p = argparse.ArgumentParser(
        prog="propnet-firmware",
        description="Check, build and run PropNet prop configs.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check configs; errors name file and line")
    v.add_argument("configs", nargs="+", type=Path)
    v.add_argument("--show", action="store_true", help="print the compiled prop.json")
    b = sub.add_parser("build", help="config to prop.json and compiled firmware")
    b.add_argument("config", type=Path)
    b.add_argument("-o", "--out", type=Path, help="output folder (default build/<id>)")
    b.add_argument(
        "--source", action="store_true", help="copy .py instead of compiling .mpy"
    )
    b.add_argument("--notes", help="release notes Home Assistant shows for this build")
    d = sub.add_parser("deploy", help="build, copy changed files with mpremote, reset")
    d.add_argument("config", type=Path)
    d.add_argument("--port", required=True, help="serial port of the board")
    d.add_argument("--no-reset", action="store_true")
    d.add_argument(
        "--resume", action="store_true", help="do not soft-reset when connecting"
    )
    d.add_argument(
        "--romfs",
        action="store_true",
        help="put the library in the board's ROMFS partition (MicroPython 1.25+), "
        "where it runs from flash and leaves the heap to the prop",
    )
    u = sub.add_parser("update", help="build and send to a running prop over MQTT")
    u.add_argument("config", type=Path)
    u.add_argument("--broker", type=_broker, required=True, metavar="HOST:PORT")
    u.add_argument("--user")
    u.add_argument("--password")
    u.add_argument(
        "--trial",
        type=float,
        default=60,
        help="seconds the new firmware has to come online",
    )
    s = sub.add_parser(
        "simulate", help="run the prop here under MicroPython's unix port"
    )
    s.add_argument("config", type=Path)
    s.add_argument(
        "--broker", type=_broker, default=("127.0.0.1", 1883), metavar="HOST:PORT"
    )
    s.add_argument("--prefix")
    return p


def _update(args: argparse.Namespace) -> int:
    prop = compile_config(args.config)
    out = Path("build") / prop["id"]
    build(args.config, out)
    host, port = args.broker
    link = PropLink(
        host, port, f"{prop['prefix']}/{prop['id']}", args.user, args.password
    )
    try:
        result = push(
            link,
            files_to_send(out),
            version=prop["announce"]["sw_version"],
            trial=args.trial,
            progress=print,
        )
    finally:
        link.close()
    print(f"{prop['id']}: {result}")
    return 0 if result.startswith("kept") else 1


def main(argv: list[str] | None = None) -> int:
    """Run the command; returns the exit code."""
    args = parser().parse_args(argv)
    try:
        if args.command == "validate":
            for config in (c for c in args.configs if c.name != "secrets.yaml"):
                prop = compile_config(config)
                if args.show:
                    shown = {k: v for k, v in prop.items() if k != FILES}
                    print(json.dumps(plain(shown), indent=2))
                print(f"{config}: ok ({len(prop['announce']['entities'])} entities)")
            return 0
        if args.command == "build":
            out = args.out or Path("build") / compile_config(args.config)["id"]
            manifest = build(args.config, out, mpy=not args.source, notes=args.notes)
            print(f"built {len(manifest)} files into {out}")
            return 0
        if args.command == "deploy":
            out = Path("build") / compile_config(args.config)["id"]
            build(args.config, out)
            send = deploy_romfs if args.romfs else deploy
            copied = send(out, args.port, reset=not args.no_reset, resume=args.resume)
            print(
                f"copied {len(copied)} changed files"
                + (": " + ", ".join(copied) if copied else "")
            )
            return 0
        if args.command == "update":
            return _update(args)
        host, port = args.broker
        return simulate(args.config, host, port, args.prefix)
    except ConfigError as err:
        for file, line, message in err.problems:
            print(f"{file}:{line}: {message}", file=sys.stderr)
        return 1
    except (BuildError, DeployError, UpdateError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
