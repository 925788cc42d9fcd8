"""`python -m fakegram serve --world demo|synthetic:N|account:N|PATH --ready-file FILE ...`
`python -m fakegram session --ready-file FILE --out PATH`

Starts every DC listener and the control endpoint on loopback, writes the
ready file (JSON: dcs, home_dc, rsa_public_key_pem, session_string, api_id,
api_hash, control) once listening, and serves until SIGTERM or SIGINT.
`session` writes a Telethon SQLite session file holding the world user's
login, for programs that take a session file (tobsd, other exporters).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from pathlib import Path

from .control import Control, ControlHTTP
from .flood import load_model
from .server import Server


def make_world(spec: str):
    """"demo", "synthetic:N" (one channel of N messages), "media:MB" (the
    media benchmark's world, see fakegram.world.media_bench), "account:N" (a
    generated account of N chats of every kind, see fakegram.world.account)
    or a scenario path."""
    from . import world as worlds
    if spec == "demo":
        return worlds.demo_world()
    if spec.startswith("synthetic:"):
        count = int(spec.split(":", 1)[1])
        builder = worlds.WorldBuilder(seed=1)
        builder.synthetic_channel("Synthetic", count=count, username="synthetic")
        return builder.build()
    if spec.startswith("media:"):
        from .world.media_bench import media_world
        return media_world(float(spec.split(":", 1)[1]))
    if spec.startswith("account:"):
        from .world.account import account_world
        return account_world(int(spec.split(":", 1)[1]))
    return worlds.load(spec)


def write_ready_file(path: Path, info: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(info, f, indent=2)
    os.replace(tmp, path)


async def serve(args) -> None:
    world = make_world(args.world)
    if args.update_log_size:
        world.set_log_size(args.update_log_size)
    ports = {}
    if args.base_port:
        ports = {dc: args.base_port + dc for dc in (1, 2, 3, 4, 5)}
    server = Server(world, state_dir=args.state_dir, host=args.host,
                    rtt_ms=args.rtt_ms, ports=ports, flood_model=load_model(args.flood_model))
    server.file_ref_ttl_s = args.file_ref_ttl_s
    await server.start()
    control = ControlHTTP(Control(server), host=args.host, port=args.control_port)
    await control.start()
    info = {**server.ready_info(), "control": control.url}
    if args.ready_file:
        write_ready_file(Path(args.ready_file), info)
    print(f"fakegram: world {args.world!r}, home DC {info['home_dc']}", flush=True)
    for dc, (host, port) in sorted(info["dcs"].items()):
        print(f"  DC {dc}: {host}:{port}", flush=True)
    print(f"  control: {control.url}  (GET /state, POST /post, ... see fakegram/control.py)",
          flush=True)
    if args.ready_file:
        print(f"  ready file: {args.ready_file}", flush=True)
    print("serving until SIGTERM or Ctrl-C", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await control.stop()
    await server.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fakegram", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("serve", help="serve a world until SIGTERM")
    p.add_argument("--world", default="demo", help="demo, synthetic:N, account:N, or a scenario file")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--state-dir", default=".fakegram", help="RSA key and auth keys live here")
    p.add_argument("--rtt-ms", type=float, default=0, help="delay every answer by this much")
    p.add_argument("--file-ref-ttl-s", type=float, default=0,
                   help="file references expire every this many seconds (0: never)")
    p.add_argument("--base-port", type=int, default=0, help="DC n listens on base+n (0: any free port)")
    p.add_argument("--control-port", type=int, default=0)
    p.add_argument("--flood-model", default=None, metavar="PATH|default",
                   help="enforce rate limits (fakegram/flood.py); off unless given")
    p.add_argument("--update-log-size", type=int, default=0,
                   help="changes each update box remembers (default 10000); a client away "
                        "for more gets differenceTooLong")
    p.add_argument("--ready-file", help="write connection details here (JSON) once listening")
    p.add_argument("--log-level", default="WARNING")
    s = sub.add_parser("session", help="write a Telethon session file of the world's user")
    s.add_argument("--ready-file", required=True, help="the ready file of a running fakegram")
    s.add_argument("--out", required=True, help="the session file to write (mode 0600)")
    args = parser.parse_args(argv)
    if args.command == "session":
        from .testing import write_session_file
        info = json.loads(Path(args.ready_file).read_text())
        print(write_session_file(info["session_string"], args.out))
        return 0
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
