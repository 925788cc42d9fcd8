"""help.* : config, nearest DC and app config."""
from __future__ import annotations

import time

from telethon.tl import types

from ...rpc import RequestContext
from ..build import get_type, make, ts

CONFIG_TTL = 3600

# Limits Telegram's help.getConfig reports (the values of the real service).
_CONFIG_LIMITS = dict(
    chat_size_max=200, megagroup_size_max=200000, forwarded_count_max=100,
    online_update_period_ms=210000, offline_blur_timeout_ms=5000,
    offline_idle_timeout_ms=30000, online_cloud_timeout_ms=300000,
    notify_cloud_delay_ms=30000, notify_default_delay_ms=1500,
    push_chat_period_ms=60000, push_chat_limit=2, saved_gifs_limit=200,
    edit_time_limit=172800, revoke_time_limit=2147483647,
    revoke_pm_time_limit=2147483647, rating_e_decay=2419200,
    stickers_recent_limit=200, stickers_faved_limit=5,
    channels_read_media_period=604800, pinned_dialogs_count_max=5,
    pinned_infolder_count_max=100, call_receive_timeout_ms=20000,
    call_ring_timeout_ms=90000, call_connect_timeout_ms=30000,
    call_packet_timeout_ms=10000, me_url_prefix="https://t.me/",
    caption_length_max=1024, message_length_max=4096, webfile_dc_id=4,
    dc_txt_domain_name="", tmp_sessions=None,
)


async def get_config(ctx: RequestContext, req):
    """Config with the server's DC addresses; this_dc is the connection's DC."""
    now = int(time.time())
    options = [make(types.DcOption, id=dc_id, ip_address=host, port=port)
               for dc_id, host, port in ctx.server.dc_options()]
    return make(types.Config, date=ts(now), expires=ts(now + CONFIG_TTL), test_mode=False,
                this_dc=ctx.dc_id, dc_options=options, **_CONFIG_LIMITS)


async def get_nearest_dc(ctx: RequestContext, req):
    return make(types.NearestDc, country="US", this_dc=ctx.dc_id, nearest_dc=ctx.dc_id)


def _json(value):
    if isinstance(value, bool):
        return types.JsonBool(value=value)
    if isinstance(value, (int, float)):
        return types.JsonNumber(value=float(value))
    if isinstance(value, str):
        return types.JsonString(value=value)
    if isinstance(value, dict):
        return types.JsonObject(value=[types.JsonObjectValue(key=k, value=_json(v))
                                       for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return types.JsonArray(value=[_json(v) for v in value])
    return types.JsonNull()


async def get_app_config(ctx: RequestContext, req):
    """The app config as a JSON object: help.AppConfig (or
    help.AppConfigNotModified for a matching hash) in layers that have it,
    the bare JSONValue in older ones."""
    state = ctx.server.state
    config = _json(state.app_config)
    app_config = get_type("help.AppConfig")
    if app_config is None:
        return config
    digest = state.app_config_hash()
    if getattr(req, "hash", 0) == digest and get_type("help.AppConfigNotModified"):
        return types.help.AppConfigNotModified()
    return make(app_config, hash=digest, config=config)


HANDLERS = {
    "help.GetConfigRequest": get_config,
    "help.GetNearestDcRequest": get_nearest_dc,
    "help.GetAppConfigRequest": get_app_config,
}
