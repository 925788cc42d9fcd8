"""The Telethon peer for bench/media.py: `client.download_media` of one message.

    python bench/_download_media.py --ready-file F --session S --chat bigfile --out FILE

What a user writes by hand: default client options, the newest message
with media of the chat, `download_media` into a file. Only the download
itself is timed (not connecting or finding the message), as bench/media.py
times tobsd's from the first part to the file landing. Prints one JSON
line: {"seconds": ..., "bytes": ...}.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path

from telethon import TelegramClient
from telethon.crypto import rsa as telethon_rsa


async def run(ready: dict, session: str, chat: str, out: Path) -> dict:
    telethon_rsa.add_key(ready["rsa_public_key_pem"], old=False)
    async with TelegramClient(session, ready["api_id"], ready["api_hash"]) as client:
        msg = next(m for m in await client.get_messages(chat, limit=10) if m.media)
        started = time.perf_counter()
        await client.download_media(msg, file=str(out))
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": out.stat().st_size}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--ready-file", required=True)
    p.add_argument("--session", required=True)
    p.add_argument("--chat", default="bigfile")
    p.add_argument("--out", required=True)
    args = p.parse_args()
    ready = json.loads(Path(args.ready_file).read_text())
    print(json.dumps(asyncio.run(run(ready, args.session, args.chat, Path(args.out)))))


if __name__ == "__main__":
    main()
