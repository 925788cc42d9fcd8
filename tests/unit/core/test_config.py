"""tobsd.core.config: the example loads, every kind of mistake is named by its key, the api_hash never leaks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tobsd.core.config import ChatRef, Endpoint, Secret, load_config
from tobsd.core.errors import ConfigError

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = REPO / "packaging" / "tobsd.example.toml"
HASH = "0123456789abcdef0123456789abcdef"
PEM = "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEAwVACPi9w23mF3tBkdZz+zwrzKOaaQdr01vAbU4E1pvkfj4sqDsm6\n-----END RSA PUBLIC KEY-----\n"


def write(tmp_path: Path, text: str, name: str = "tobsd.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def minimal(extra: str = "", head: str = "") -> str:
    return f'api_id = 1\napi_hash = "{HASH}"\n{head}\n[vault]\npath = "vault"\n{extra}\n'


def problems_of(tmp_path: Path, text: str, env: dict | None = None) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), env=env or {})
    return info.value.problems


def test_example_loads_with_hash_from_credentials_directory(tmp_path):
    (tmp_path / "api_hash").write_text(HASH + "\n")
    config = load_config(EXAMPLE, env={"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert config.api_id == 123456
    assert config.api_hash.reveal() == HASH
    assert config.session == EXAMPLE.parent / "state" / "tobsd.session"
    assert config.vault.path == Path("~/Obsidian/Main").expanduser()
    assert (config.vault.root, config.vault.period, config.vault.timezone) == ("Telegram", "day", "Europe/Berlin")
    assert [str(c.ref) for c in config.chats] == ["@telegram", "@durov", "-1001234567890", '"Family"']
    assert config.chats[0].since == dt.date(2024, 1, 31)
    assert config.chats[1].media is False and config.chats[3].paused is True
    assert config.limits.backfill_requests_in_flight == 6
    assert config.telegram.dc[1] == Endpoint("127.0.0.1", 4431)
    assert config.daemon.state_dir == EXAMPLE.parent / "state"
    assert config.daemon.db_path == EXAMPLE.parent / "state" / "tobsd.db"


def test_minimal_config_gets_documented_defaults(tmp_path):
    config = load_config(write(tmp_path, minimal()), env={"STATE_DIRECTORY": str(tmp_path / "st")})
    assert config.vault.path == tmp_path / "vault"
    assert (config.vault.root, config.vault.period, config.vault.timezone) == ("Telegram", "day", "UTC")
    assert config.daemon.state_dir == tmp_path / "st"
    assert config.daemon.socket == tmp_path / "st" / "tobsd.sock"
    assert config.session == tmp_path / "st" / "tobsd.session"
    assert config.daemon.log_level == "info"
    assert (config.limits.backfill_requests_in_flight, config.limits.media_downloads) == (6, 4)
    assert config.chats == () and config.sync.all is False
    assert dict(config.telegram.dc) == {} and config.telegram.rsa_public_key is None


def test_the_socket_defaults_to_the_runtime_folders(tmp_path):
    text = write(tmp_path, minimal())
    runtime = load_config(text, env={"RUNTIME_DIRECTORY": "/run/user/7/tobsd", "XDG_RUNTIME_DIR": "/x"})
    assert runtime.daemon.socket == Path("/run/user/7/tobsd/tobsd.sock")
    user = load_config(text, env={"XDG_RUNTIME_DIR": "/run/user/7", "STATE_DIRECTORY": "/st"})
    assert user.daemon.socket == Path("/run/user/7/tobsd/tobsd.sock")


def test_the_socket_group_comes_from_the_file_else_the_units_environment(tmp_path):
    plain = write(tmp_path, minimal())
    assert load_config(plain, env={}).daemon.socket_group is None
    assert load_config(plain, env={"TOBS_SOCKET_GROUP": "tobs"}).daemon.socket_group == "tobs"
    (tmp_path / "own").mkdir()
    own = write(tmp_path / "own", minimal('[daemon]\nsocket_group = "wheel"'))
    assert load_config(own, env={"TOBS_SOCKET_GROUP": "tobs"}).daemon.socket_group == "wheel"
    (tmp_path / "none").mkdir()
    owner_only = write(tmp_path / "none", minimal('[daemon]\nsocket_group = ""'))
    assert load_config(owner_only, env={"TOBS_SOCKET_GROUP": "tobs"}).daemon.socket_group is None


def test_relative_paths_resolve_against_the_config_folder(tmp_path):
    sub = tmp_path / "etc"
    sub.mkdir()
    text = minimal('[daemon]\nstate_dir = "../var"\nsocket = "/run/tobsd.sock"', head='session = "s/a.session"')
    config = load_config(write(sub, text), env={})
    assert config.session == sub / "s" / "a.session"
    assert config.vault.path == sub / "vault"
    assert config.daemon.state_dir == sub / ".." / "var"
    assert config.daemon.socket == Path("/run/tobsd.sock")


@pytest.mark.parametrize("text, expected", [
    (minimal(head="api_id = 2"), None),  # duplicate key: a TOML error
    ('api_hash = "x"\n[vault]\npath = "v"', "api_id: missing"),
    ('api_id = "12"\napi_hash = "x"\n[vault]\npath = "v"', 'api_id: expected an integer, got a string'),
    ('api_id = true\napi_hash = "x"\n[vault]\npath = "v"', "api_id: expected an integer, got a boolean"),
    ('api_id = 1\n[vault]\npath = "v"', "api_hash: missing"),
    ('api_id = 1\napi_hash = "x"', "vault.path: missing"),
    (minimal("period = \"week\""), "vault.period: expected one of 'day', 'month', got \"week\""),
    (minimal("timezone = \"Mars/Olympus\""), 'vault.timezone: unknown time zone "Mars/Olympus"'),
    (minimal("root = \"../outside\""), "vault.root: must be a folder inside the vault"),
    (minimal('[[chats]]\nchat = "@ok_name"\nsince = "yesterday"'),
     'chats[0].since: expected a date like 2024-01-31, got "yesterday"'),
    (minimal('[[chats]]\nchat = "@a"\n[[chats]]\nchat = "@b_c_d"\n[[chats]]\nchat = 1\nsince = 2024-02-30'), None),
    (minimal('[[chats]]\nchat = "x"\n[[chats]]\nchat = "y"\n[[chats]]\nchat = "z"\nsince = "2024-13-01"'),
     'chats[2].since: expected a date like 2024-01-31, got "2024-13-01"'),
    (minimal('[[chats]]\nchat = "https://t.me/+AbCdEf"'), "chats[0].chat: \"https://t.me/+AbCdEf\" is an invite link"),
    (minimal('[[chats]]\nchat = 1.5'), "chats[0].chat: expected \"@username\""),
    (minimal('[[chats]]\nsince = 2024-01-01'), "chats[0].chat: missing"),
    (minimal('[[chats]]\nchat = "@Durov"\n[[chats]]\nchat = "t.me/durov"'),
     "chats[1].chat: @durov is already listed as chats[0]"),
    (minimal('[[chats]]\nchat = "@durov"\nmedai = true'), 'chats[0].medai: unknown key; did you mean "media"?'),
    (minimal('[[chats]]\nchat = "@durov"\npaused = "yes"'), 'chats[0].paused: expected true or false, got "yes"'),
    (minimal('[sync]\nall = true\ninclude_kinds = ["chanels"]'),
     'sync.include_kinds[0]: expected one of users, groups, channels, bots, archived, got "chanels"; '
     'did you mean "channels"?'),
    (minimal('[sync]\nexclude_names = ["*spam*"]'), "sync.exclude_names: only used with all = true"),
    (minimal('[limits]\nbackfill_requests_in_flight = 0'),
     "limits.backfill_requests_in_flight: expected an integer from 1 to 32, got 0"),
    (minimal('[limits]\nbackfill_requests_in_flight = 33'),
     "limits.backfill_requests_in_flight: expected an integer from 1 to 32, got 33"),
    (minimal('[limits]\nmedia_download = 2'), 'limits.media_download: unknown key; did you mean "media_downloads"?'),
    (minimal('[telegram]\ndc = { "1" = "localhost" }'), 'telegram.dc.1: expected "host:port", got "localhost"'),
    (minimal('[telegram]\ndc = { "one" = "h:1" }'), "telegram.dc.one: a data-centre id must be a number"),
    (minimal('[telegram]\ndc = { "1" = "h:70000" }'), 'telegram.dc.1: expected "host:port", got "h:70000"'),
    (minimal('[telegram]\nrsa_public_key = "not a key"'), "telegram.rsa_public_key: expected a PEM public key"),
    (minimal('[daemon]\nlog_level = "verbose"'), "daemon.log_level: expected one of 'debug', 'info'"),
    (minimal('[daemon]\nsocket = "/' + "s" * 120 + '"'), "daemon.socket: the path is 121 bytes long"),
    (minimal(head="sesion = \"x\""), 'sesion: unknown key; did you mean "session"?'),
    (minimal("[vault2]\nx = 1"), "vault2: unknown key; did you mean \"vault\"?"),
])
def test_each_problem_names_its_key(tmp_path, text, expected):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text), env={})
    if expected is None:
        return  # only that it fails
    assert any(p.startswith(expected) for p in info.value.problems), info.value.problems
    assert str(write(tmp_path, text)) in str(info.value)


def test_all_problems_are_reported_at_once(tmp_path):
    problems = problems_of(tmp_path, minimal('period = "x"\n[limits]\nmedia_downloads = 0\n[[chats]]\nchat = ""'))
    assert [p.split(":")[0] for p in problems] == ["vault.period", "chats[0].chat", "limits.media_downloads"]


def test_invalid_toml_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "api_id = = 1"), env={})


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read the file"):
        load_config(tmp_path / "nope.toml", env={})


def test_api_hash_never_appears_in_repr_str_or_errors(tmp_path):
    secret = "f00dfeedcafebabe1234567890abcdef"
    config = load_config(write(tmp_path, minimal().replace(HASH, secret)), env={})
    assert config.api_hash.reveal() == secret
    for text in (repr(config), str(config), repr(config.api_hash), str(config.api_hash), f"{config.api_hash}"):
        assert secret not in text
    # A config with other problems, and hashes of a wrong shape: still never quoted.
    for bad in (f'api_hash = "{secret}"\nbogus = 1', f'api_hash = "{secret} {secret}"'):
        text = f"api_id = 1\n{bad}\n[vault]\npath = 3\n"
        with pytest.raises(ConfigError) as info:
            load_config(write(tmp_path, text), env={})
        assert secret not in str(info.value) and secret not in repr(info.value)
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, 'api_id = 1\napi_hash = ["' + secret + '"]\n[vault]\npath = "v"'), env={})
    assert "api_hash: expected a string, got an array" in info.value.problems
    assert secret not in str(info.value)


def test_api_hash_in_a_toml_syntax_error_is_not_quoted(tmp_path):
    secret = "f00dfeedcafebabe1234567890abcdef"
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, f"api_id = 1\napi_hash = {secret}\n"), env={})  # unquoted
    assert "not valid TOML" in str(info.value) and secret not in str(info.value)


def test_secret_equality_and_redaction():
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")
    assert "a" not in repr(Secret("a")).replace("redacted", "")


def test_api_hash_file_relative_to_config_folder(tmp_path):
    (tmp_path / "hash.txt").write_text(f"  {HASH}\n")
    config = load_config(write(tmp_path, minimal().replace(f'api_hash = "{HASH}"', 'api_hash_file = "hash.txt"')),
                         env={})
    assert config.api_hash.reveal() == HASH


def test_api_hash_file_from_credentials_directory_wins_for_bare_names(tmp_path):
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "api_hash").write_text("fromcreds")
    (tmp_path / "api_hash").write_text("fromconfigdir")
    text = minimal().replace(f'api_hash = "{HASH}"', 'api_hash_file = "api_hash"')
    assert load_config(write(tmp_path, text), env={"CREDENTIALS_DIRECTORY": str(creds)}).api_hash.reveal() == "fromcreds"
    assert load_config(write(tmp_path, text), env={}).api_hash.reveal() == "fromconfigdir"


def test_api_hash_file_problems(tmp_path):
    text = minimal().replace(f'api_hash = "{HASH}"', 'api_hash_file = "missing"')
    problems = problems_of(tmp_path, text)
    assert problems == [f"api_hash_file: cannot read {str(tmp_path / 'missing')!r}: No such file or directory"]
    (tmp_path / "empty").write_text("\n")
    assert problems_of(tmp_path, text.replace("missing", "empty")) == ["api_hash_file: the api_hash is empty"]
    both = minimal(head='api_hash_file = "x"')
    assert problems_of(tmp_path, both) == ["api_hash: set either api_hash or api_hash_file, not both"]


def test_telegram_overrides(tmp_path):
    (tmp_path / "key.pem").write_text(PEM)
    text = minimal('[telegram]\ndc = { "1" = "127.0.0.1:4431", "4" = "[::1]:443" }\nrsa_public_key_file = "key.pem"')
    config = load_config(write(tmp_path, text), env={})
    assert dict(config.telegram.dc) == {1: Endpoint("127.0.0.1", 4431), 4: Endpoint("::1", 443)}
    assert str(config.telegram.dc[4]) == "[::1]:443"
    assert config.telegram.rsa_public_key == PEM
    inline = minimal(f'[telegram]\nrsa_public_key = """\n{PEM}"""')
    assert load_config(write(tmp_path, inline), env={}).telegram.rsa_public_key == PEM
    with pytest.raises(TypeError):
        config.telegram.dc[2] = Endpoint("h", 1)  # read-only


def test_config_is_frozen(tmp_path):
    config = load_config(write(tmp_path, minimal()), env={})
    with pytest.raises(AttributeError):
        config.api_id = 2  # type: ignore[misc]


@pytest.mark.parametrize("value, ref", [
    ("@durov", ChatRef(username="durov")),
    ("https://t.me/durov", ChatRef(username="durov")),
    ("http://t.me/durov/", ChatRef(username="durov")),
    ("t.me/durov", ChatRef(username="durov")),
    ("telegram.me/durov", ChatRef(username="durov")),
    ("https://t.me/s/durov", ChatRef(username="durov")),
    ("https://t.me/c/1234567890/55", ChatRef(id=-1001234567890)),
    (-1001234567890, ChatRef(id=-1001234567890)),
    ("-1001234567890", ChatRef(id=-1001234567890)),
    (777, ChatRef(id=777)),
    ("My Family  ", ChatRef(title="My Family")),
])
def test_chat_references(value, ref):
    assert ChatRef.parse(value) == ref


@pytest.mark.parametrize("value", ["@x", "@1abc", "t.me/joinchat/AAAA", "", 0, True, 1.5])
def test_bad_chat_references(value):
    with pytest.raises(ValueError):
        ChatRef.parse(value)


def test_sync_all_selection(tmp_path):
    text = minimal('[sync]\nall = true\nexclude_kinds = ["archived"]\ninclude_names = ["*news*", "@team_*"]\n'
                   'exclude_names = ["*fake*"]\nmedia = false\n[[chats]]\nchat = "@x_y_z"')
    config = load_config(write(tmp_path, text), env={})
    sync = config.sync
    assert sync.selects({"channels"}, ["Daily News", "@daily"])
    assert sync.selects({"groups"}, ["Chat", "@TEAM_core"])
    assert not sync.selects({"channels", "archived"}, ["Daily News"])
    assert not sync.selects({"channels"}, ["Fake News"])
    assert not sync.selects({"users"}, ["Alice", "@alice"])
    assert config.chats[0].media is False  # from [sync] media



def test_media_settings_are_read_with_per_chat_overrides(tmp_path):
    from tobsd.core.config import load_config
    from tobsd.core.config_media import MB, chat_media
    path = tmp_path / "tobsd.toml"
    (tmp_path / "vault").mkdir()
    path.write_text('api_id = 1\napi_hash = "abc"\n[vault]\npath = "vault"\n'
                    '[media]\nkinds = ["photo", "voice"]\nmax_size_mb = 10\ndisk_budget_mb = 100\n'
                    'shared_folder = "Attachments"\n'
                    '[[chats]]\nchat = "@news"\nmedia_kinds = ["video"]\nmedia_max_size_mb = 5\n'
                    '[[chats]]\nchat = "@other"\nmedia = false\n')
    config = load_config(path, env={})
    assert config.media.kinds == {"photo", "voice"} and config.media.max_size == 10 * MB
    assert config.media.disk_budget == 100 * MB and config.media.shared_folder == "Attachments"
    news, other = config.chats
    settings = chat_media(config.media, news.media, news.media_kinds, news.media_max_size_mb)
    assert settings.kinds == {"video"} and settings.max_size == 5 * MB and settings.enabled
    assert not chat_media(config.media, other.media, other.media_kinds, other.media_max_size_mb).enabled
