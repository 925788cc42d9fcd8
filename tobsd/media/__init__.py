"""Media downloads: a side stream beside message writing.

`MediaQueue` (queue.py) plans every downloadable attachment of a batch
before its note is written (the embed points at the file's final name,
marked as downloading), fetches files in parallel 1 MiB parts into
resumable partial files under the state folder (fetch.py, partial.py),
checks them (getFileHashes, SHA-256), stores each content once (dedup by
Telegram's file id and by content), moves the file into the vault
(landing.py), hands it to an optional `MediaProcessor`, and has the note
re-rendered. It imports only `tobsd.core`.
"""
