"""`tobsd unit-dropin`: the systemd drop-in that opens the hardened unit for
one configuration.

The shipped units make the whole file system read-only to tobsd
(ProtectSystem=strict, ProtectHome=read-only) except the folders systemd
creates for the unit itself. The vault is the user's and lives anywhere, so
it is named in a drop-in: ReadWritePaths= with the configured vault folder.
When the running `tobsd` is not the packaged /usr/bin/tobsd (a pipx or venv
install), the drop-in also points ExecStart= at it. When `[processing]`
names a GPU family or a transcription model, it opens what they need (see
`processing_lines`).
"""
from __future__ import annotations

import sys
from pathlib import Path

from tobsd.core.config import Config

PACKAGED_EXECUTABLE = Path("/usr/bin/tobsd")


def quote_path(path: Path) -> str:
    """A path as one word of a unit file setting (systemd.syntax(7) quoting, % escaped)."""
    text = str(path).replace("%", "%%")
    if any(c.isspace() or c in "\"'\\" for c in text):
        text = '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def running_executable(argv0: str | None = None) -> Path | None:
    """The `tobsd` console script this process was started as, if it was."""
    argv0 = sys.argv[0] if argv0 is None else argv0
    path = Path(argv0)
    return path.absolute() if path.name == "tobsd" else None


def render_dropin(config: Config, *, unit: str = "tobsd.service", system: bool = False,
                  executable: Path | None = None) -> str:
    """The drop-in text for `unit` running `config`: a comment saying where it goes, then [Service]."""
    where = (f"/etc/systemd/system/{unit}.d/vault.conf" if system
             else f"~/.config/systemd/user/{unit}.d/vault.conf")
    manager = "systemctl" if system else "systemctl --user"
    lines = [
        f"# Lets {unit} write the vault configured in {config.source}.",
        f"# Save as {where}, then: {manager} daemon-reload && {manager} restart {unit}",
        "[Service]",
        f"ReadWritePaths={quote_path(config.vault.path)}",
    ]
    lines += processing_lines(config)
    if executable is not None and executable != PACKAGED_EXECUTABLE:
        lines += ["# tobsd is installed outside /usr/bin (pipx or a virtual environment).",
                  "ExecStart=",
                  f"ExecStart={quote_path(executable)} run --config {quote_path(config.source)}"]
    return "\n".join(lines) + "\n"


#: The device nodes each GPU family is reached through (systemd.resource-control(5)
#: "char-" groups from /proc/devices).
GPU_DEVICES = {
    "nvidia": ["DeviceAllow=char-nvidia-frontend rw", "DeviceAllow=char-nvidia-uvm rw"],
    "vaapi": ["DeviceAllow=char-drm rw", "SupplementaryGroups=render video"],
    "qsv": ["DeviceAllow=char-drm rw", "SupplementaryGroups=render video"],
}


def processing_lines(config: Config) -> list[str]:
    """The settings media processing needs beyond the shipped hardening:
    the GPU's device nodes when `accelerator` names a family (with "auto"
    the unit keeps its private /dev and detection finds the CPU), and
    memory both writable and executable for transcription (CTranslate2's
    oneDNN kernels are generated at run time) and for GPU drivers."""
    processing = config.processing
    lines: list[str] = []
    family = processing.accelerator if processing.accelerator in GPU_DEVICES else None
    if family:
        lines += [f"# [processing] accelerator = \"{family}\": the GPU's device nodes.",
                  "PrivateDevices=no", *GPU_DEVICES[family]]
    if processing.transcribe_model or family:
        lines += ["# Transcription and GPU drivers generate machine code at run time.",
                  "MemoryDenyWriteExecute=no"]
    return lines
