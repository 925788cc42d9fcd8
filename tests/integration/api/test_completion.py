"""tobsctl's shell completion in a real bash: the script `tobsctl completion
bash` prints registers with bash's `complete`, and completing a line runs
the real tobsctl, which offers verbs and options and (asking the real
tobsd over its socket) the tracked chats' names."""
from __future__ import annotations

import asyncio
import os
import shutil
import sys
from pathlib import Path

import pytest

from fakegram.testing import small_world
from tests.conditions import slack
from tests.daemonkit import ROOT, TobsdProcess, run_tobsctl, write_config

BASH = shutil.which("bash")
# Completes the line $1 as bash would on Tab, with the function that the
# script registered for tobsctl (read back from `complete -p`), and prints
# each candidate on a line.
COMPLETE = r'''
source "$SCRIPT" || exit 90
spec=$(complete -p tobsctl) || exit 91
fn=$(sed -E 's/.* -F ([^ ]+) .*/\1/' <<<"$spec")
COMP_LINE=$1; COMP_POINT=${#COMP_LINE}; COMP_TYPE=9
read -ra COMP_WORDS <<<"$COMP_LINE"; [[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
"$fn" tobsctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
'''


async def bash_complete(script: Path, line: str, env: dict) -> list[str]:
    proc = await asyncio.create_subprocess_exec(
        BASH, "--noprofile", "--norc", "-c", COMPLETE, "complete", line,
        env={**os.environ, **env, "SCRIPT": str(script),
             "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"},
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(proc.communicate(), slack(60))
    assert proc.returncode == 0, err.decode()
    return [c.strip() for c in out.decode().splitlines() if c.strip()]


@pytest.mark.skipif(BASH is None, reason="bash is not installed")
async def test_bash_completes_verbs_options_and_the_daemons_chats(make_server, tmp_path):
    ran = await run_tobsctl("completion", "bash")
    assert ran.returncode == 0, ran
    script = tmp_path / "tobsctl.bash"
    script.write_text(ran.stdout)
    nowhere = {"TOBS_SOCKET": str(tmp_path / "none.sock")}

    assert await bash_complete(script, "tobsctl pa", nowhere) == ["pause"]
    verbs = await bash_complete(script, "tobsctl ", nowhere)
    assert {"status", "chats", "add", "rm", "pause", "resume", "sync", "resync", "events",
            "reload", "login", "doctor", "completion"} <= set(verbs)
    assert "--delete-notes" in await bash_complete(script, "tobsctl rm News --del", nowhere)
    assert await bash_complete(script, "tobsctl completion f", nowhere) == ["fish"]
    # --profile: the instances with a socket in $XDG_RUNTIME_DIR/tobsd/NAME/
    runtime = tmp_path / "xdg-run"
    for name in ("work", "home"):
        (runtime / "tobsd" / name).mkdir(parents=True)
        (runtime / "tobsd" / name / "tobsd.sock").touch()     # its presence is what counts
    (runtime / "tobsd" / "empty").mkdir()
    profiles = await bash_complete(script, "tobsctl --profile ", {**nowhere, "XDG_RUNTIME_DIR": str(runtime)})
    assert {"work", "home"} <= set(profiles) and "empty" not in profiles
    # no daemon: a chat argument completes no name (only the options remain)
    offered = await bash_complete(script, "tobsctl pause ", nowhere)
    assert "--json" in offered and all(c.startswith("-") for c in offered)

    async with make_server(small_world()) as server:
        config = write_config(tmp_path, server, ["@news"])
        tobsd = TobsdProcess(config).start()
        try:
            await tobsd.wait_synced(1)
            added = await tobsd.tobsctl("add", "@makers")
            assert added.returncode == 0, added
            await tobsd.wait_for(lambda s: len(s["chats"]) == 2, 60, "Makers tracked")
            live = {"TOBS_SOCKET": str(tobsd.socket)}
            assert set(await bash_complete(script, "tobsctl pause ", live)) >= {"News", "Makers", "@news"}
            assert await bash_complete(script, "tobsctl rm Ma", live) == ["Makers"]
            # '@' is in bash's COMP_WORDBREAKS: the reply is the rest after it,
            # so the line becomes "tobsctl sync @news"
            assert await bash_complete(script, "tobsctl sync @ne", live) == ["news"]
            # --socket on the line is the socket asked
            line = f"tobsctl --socket {tobsd.socket} resync N"
            assert await bash_complete(script, line, nowhere) == ["News"]
        finally:
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]


async def test_zsh_and_fish_scripts_register_tobsctl(tmp_path):
    for shell, registers, checker in (("zsh", "compdef _python_argcomplete tobsctl", "zsh"),
                                      ("fish", "complete --command tobsctl", "fish")):
        ran = await run_tobsctl("completion", shell)
        assert ran.returncode == 0, ran
        assert registers in ran.stdout
        if shutil.which(checker):      # the shell's own syntax check, where it is installed
            path = tmp_path / f"tobsctl.{shell}"
            path.write_text(ran.stdout)
            proc = await asyncio.create_subprocess_exec(checker, "-n", str(path))
            assert await proc.wait() == 0
