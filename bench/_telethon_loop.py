"""The plain-Telethon peer: one `iter_messages` loop writing each text to a file.

    python bench/_telethon_loop.py --ready-file F --session S --out TEXTFILE
    python bench/_telethon_loop.py ... --all-dialogs    # every dialog, one after another

Run as its own process (the benchmark times it from spawn to exit, as it
times tobsd). Prints one JSON line: {"count": messages seen}. This is what a
user would write by hand: default client options, `wait_time=0` so Telethon
does not sleep between pages (or, with --default-wait, Telethon's default
pacing, for servers that enforce rate limits).
"""
from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from telethon import TelegramClient
from telethon.crypto import rsa as telethon_rsa


async def run(ready: dict, session: str, out: Path, chat: str, default_wait: bool = False,
              all_dialogs: bool = False) -> int:
    # Only needed if Telethon has to handshake (a DC it holds no key for).
    telethon_rsa.add_key(ready["rsa_public_key_pem"], old=False)
    count = 0
    async with TelegramClient(session, ready["api_id"], ready["api_hash"]) as client:
        if all_dialogs:
            peers = [d.input_entity async for d in client.iter_dialogs()]
        else:
            peers = [await client.get_input_entity(chat)]
        with open(out, "w", encoding="utf-8") as f:
            for peer in peers:
                # Telethon's own pacing (its default wait_time) when asked for.
                pages = client.iter_messages(peer) if default_wait else \
                    client.iter_messages(peer, wait_time=0)
                async for m in pages:
                    f.write((m.message or "") + "\n")
                    count += 1
    return count


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--ready-file", required=True)
    p.add_argument("--session", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--chat", default="synthetic")
    p.add_argument("--default-wait", action="store_true",
                   help="keep iter_messages' default wait_time instead of 0")
    p.add_argument("--all-dialogs", action="store_true", help="every dialog instead of --chat")
    args = p.parse_args()
    ready = json.loads(Path(args.ready_file).read_text())
    count = asyncio.run(run(ready, args.session, Path(args.out), args.chat, args.default_wait,
                            args.all_dialogs))
    print(json.dumps({"count": count}))


if __name__ == "__main__":
    main()
