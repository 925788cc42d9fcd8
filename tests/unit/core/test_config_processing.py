"""`[processing]`: defaults, the example file, and each mistake named by its key."""
from __future__ import annotations

import pytest

from tobsd.core.config import load_config
from tobsd.core.config_processing import ProcessingConfig
from tobsd.core.errors import ConfigError
from tobsd.core.media import CompactProfile
from tests.unit.core.test_config import EXAMPLE, HASH, minimal, problems_of, write


def test_defaults_without_the_table(tmp_path):
    config = load_config(write(tmp_path, minimal()), env={"STATE_DIRECTORY": str(tmp_path)})
    assert config.processing == ProcessingConfig()
    assert config.processing.compact == CompactProfile(720, 1500, True)
    assert config.processing.transcribe_model == "" and not config.processing.transcribe_download


def test_every_key_is_read(tmp_path):
    (tmp_path / "models" / "tiny").mkdir(parents=True)
    text = minimal('[processing]\nworkers = 3\naccelerator = "nvidia"\ngpu_jobs = 4\n'
                   'compact_max_height = 480\ncompact_max_kbps = 800\ncompact_keep_original = false\n'
                   'transcribe_model = "./models/tiny"\ntranscribe_device = "cpu"\n'
                   'transcribe_language = "en"\njob_timeout_s = 60\n')
    p = load_config(write(tmp_path, text), env={"STATE_DIRECTORY": str(tmp_path)}).processing
    assert (p.workers, p.accelerator, p.gpu_jobs, p.job_timeout_s) == (3, "nvidia", 4, 60)
    assert p.compact == CompactProfile(480, 800, False)
    assert p.transcribe_model == str(tmp_path / "models" / "tiny")   # relative to the config file
    assert (p.transcribe_device, p.transcribe_language) == ("cpu", "en")
    named = minimal('[processing]\ntranscribe_model = "tiny.en"\ntranscribe_download = true\n')
    p = load_config(write(tmp_path, named), env={"STATE_DIRECTORY": str(tmp_path)}).processing
    assert p.transcribe_model == "tiny.en" and p.transcribe_download


@pytest.mark.parametrize("table, expected", [
    ('workers = 0', "processing.workers: expected an integer from 1 to 32, got 0"),
    ('accelerator = "cuda"', "processing.accelerator: expected one of"),
    ('gpu_jobs = "2"', "processing.gpu_jobs: expected an integer"),
    ('compact_max_height = 10', "processing.compact_max_height: expected an integer from 144"),
    ('transcribe_device = "gpu"', "processing.transcribe_device: expected one of"),
    ('worker = 2', 'processing.worker: unknown key; did you mean "workers"?'),
])
def test_each_mistake_is_named_by_its_key(tmp_path, table, expected):
    found = problems_of(tmp_path, minimal(f"[processing]\n{table}\n"))
    assert any(p.startswith(expected) for p in found), found


def test_the_example_documents_processing(tmp_path):
    (tmp_path / "api_hash").write_text(HASH + "\n")
    config = load_config(EXAMPLE, env={"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert config.processing.workers == 2 and config.processing.accelerator == "auto"
    assert "[processing]" in EXAMPLE.read_text()
    with pytest.raises(ConfigError):
        load_config(write(tmp_path, minimal('[processing]\nworkers = true\n')), env={})


def test_the_compact_switch_per_chat_with_the_processing_default(tmp_path):
    from tobsd.core.config_processing import chat_compact
    chats = ('[[chats]]\nchat = "@clips"\ncompact = true\n'
             '[[chats]]\nchat = "@news"\ncompact = false\n'
             '[[chats]]\nchat = "@other"\n')
    env = {"STATE_DIRECTORY": str(tmp_path)}
    off = load_config(write(tmp_path, minimal('[processing]\ncompact_max_height = 360\n' + chats)), env=env)
    assert not off.processing.compact_chats
    clips, news, other = off.chats
    assert (clips.compact, news.compact, other.compact) == (True, False, None)
    profile = CompactProfile(360, 1500, True)
    assert [chat_compact(off.processing, c.compact) for c in off.chats] == [profile, None, None]
    on = load_config(write(tmp_path, minimal('[processing]\ncompact = true\n' + chats)), env=env)
    assert on.processing.compact_chats
    # A chat without the key follows [processing] compact; an explicit false wins.
    assert [chat_compact(on.processing, c.compact) for c in on.chats] == [CompactProfile(), None,
                                                                          CompactProfile()]
    found = problems_of(tmp_path, minimal('[[chats]]\nchat = "@clips"\ncompact = "yes"\n'))
    assert any(p.startswith("chats[0].compact: expected true or false") for p in found), found
    found = problems_of(tmp_path, minimal('[processing]\ncompact = 1\n'))
    assert any(p.startswith("processing.compact: expected true or false") for p in found), found
