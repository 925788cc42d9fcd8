"""contacts.* : username resolution and the contact list."""
from __future__ import annotations

import re

from telethon.tl import functions, types

from ...rpc import RequestContext, RpcError
from ..build import make
from ..peers import is_contact, peer
from ..refs import Refs

_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")


async def resolve_username(ctx: RequestContext, req: functions.contacts.ResolveUsernameRequest):
    """contacts.ResolvedPeer; USERNAME_INVALID for a malformed name,
    USERNAME_NOT_OCCUPIED when nobody has it."""
    ctx.require_user()
    name = req.username.lstrip("@")
    if not _USERNAME.match(name):
        raise RpcError(400, "USERNAME_INVALID")
    key = ctx.world.resolve_username(name)
    if key is None:
        raise RpcError(400, "USERNAME_NOT_OCCUPIED")
    refs = Refs(ctx.world)
    refs.chat(key)
    return make(types.contacts.ResolvedPeer, peer=peer(key), chats=refs.chats(), users=refs.users())


async def get_contacts(ctx: RequestContext, req):
    """contacts.Contacts: the users the account has a private dialog with."""
    ctx.require_user()
    world = ctx.world
    ids = [uid for uid in world.users if is_contact(world, uid)]
    refs = Refs(world)
    for uid in ids:
        refs.user(uid)
    contacts = [make(types.Contact, user_id=uid, mutual=True) for uid in ids]
    return make(types.contacts.Contacts, contacts=contacts, saved_count=0, users=refs.users())


HANDLERS = {
    "contacts.ResolveUsernameRequest": resolve_username,
    "contacts.GetContactsRequest": get_contacts,
}
