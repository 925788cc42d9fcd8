"""fakegram's TL layer: world objects -> Telethon TL objects, and the API
method handlers the MTProto server calls.

- `build`: `make(cls, **fields)` builds objects that fit the installed
  Telethon layer (1.45/layer 229 and older 1.3x releases).
- `convert` (with `peers`, `message`, `entities`, `media`, `actions`, `refs`):
  users, chats, messages and media as TL objects.
- `methods.HANDLERS`: request CONSTRUCTOR_ID -> `async handler(ctx, request)`.
- `push.build_updates`: a world event as the Updates object to push.
- `state.ServerState`: login codes, SRP sessions, exported authorizations,
  takeout sessions, app config.
- `testkit`: calling handlers without a network (tests).
"""
