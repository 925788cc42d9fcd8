"""Run a command under the kernel restrictions the shipped units ask systemd
for, applied the way systemd applies them, for machines where no systemd
runs to do it (`systemd-run` needs a running service manager):

    python -m tests.integration.service.sandbox [--rw PATH]... -- COMMAND...

- NoNewPrivileges=yes: prctl(PR_SET_NO_NEW_PRIVS).
- CapabilityBoundingSet=: every capability dropped from the bounding set, so
  even root has none after execve.
- SystemCallFilter=@system-service, ~@privileged @resources with
  SystemCallErrorNumber=EPERM: an allow-list seccomp filter built from
  `systemd-analyze syscall-filter` (systemd's own groups).
- MemoryDenyWriteExecute=yes: systemd's rules (seccomp-util.c): mmap with
  PROT_WRITE|PROT_EXEC, mprotect/pkey_mprotect adding PROT_EXEC and shmat
  with SHM_EXEC fail with EPERM.
- RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK: socket() of
  any other family fails with EAFNOSUPPORT.
- RestrictNamespaces=yes: clone/unshare with a CLONE_NEW* flag and setns fail
  with EPERM; clone3 with ENOSYS (its flags are out of seccomp's reach, so
  systemd makes libc fall back to clone).
- With --rw: ProtectSystem=strict and ProtectHome=read-only as a mount
  namespace where / is read-only but the --rw paths (ReadWritePaths=, the
  state folder), and ProtectProc=invisible, ProcSubset=pid as a /proc
  mounted with hidepid=invisible,subset=pid. Unlike systemd this gives no
  private writable /tmp, which only makes the check stricter.

Each group is its own seccomp filter, as systemd loads them; the kernel
applies the strictest answer. The filters stay on across execve and are
inherited by every child (tobsd's vault writer, ffmpeg).
Not emulated: PrivateTmp, PrivateDevices, PrivateUsers, PrivateIPC,
ProtectKernel*, ProtectClock, LockPersonality, RestrictRealtime,
RestrictSUIDSGID.
"""
from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import errno
import os
import socket
import subprocess
import sys

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4
SCMP_CMP_MASKED_EQ = 7
PR_SET_NO_NEW_PRIVS = 38
PR_CAPBSET_DROP = 24
PROT_WRITE, PROT_EXEC = 0x2, 0x4
SHM_EXEC = 0o100000
CLONE_NEW_FLAGS = (0x00020000, 0x02000000, 0x04000000, 0x08000000, 0x10000000, 0x20000000,
                   0x40000000, 0x00000080)   # NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME
ALLOWED_FAMILIES = {socket.AF_UNIX, socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK}
AF_MAX = 46
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
CLONE_NEWNS = 0x00020000


def act_errno(code: int) -> int:
    return 0x00050000 | (code & 0xFFFF)


class ArgCmp(ctypes.Structure):
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int),
                ("datum_a", ctypes.c_uint64), ("datum_b", ctypes.c_uint64)]


class Seccomp:
    def __init__(self):
        self.lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
        self.lib.seccomp_init.restype = ctypes.c_void_p
        self.lib.seccomp_init.argtypes = [ctypes.c_uint32]
        self.lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
        self.lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int,
                                                    ctypes.c_uint, ctypes.POINTER(ArgCmp)]
        self.lib.seccomp_load.argtypes = [ctypes.c_void_p]
        self.lib.seccomp_release.argtypes = [ctypes.c_void_p]

    def number(self, name: str) -> int | None:
        nr = self.lib.seccomp_syscall_resolve_name(name.encode())
        return None if nr < 0 else nr

    def load(self, default: int, rules: list[tuple[int, str, list[tuple[int, int, int, int]]]]) -> None:
        ctx = self.lib.seccomp_init(default)
        assert ctx, "seccomp_init failed"
        try:
            for action, name, cmps in rules:
                nr = self.number(name)
                if nr is None:
                    continue   # not a system call on this architecture
                array = (ArgCmp * max(1, len(cmps)))(*[ArgCmp(*c) for c in cmps])
                rc = self.lib.seccomp_rule_add_array(ctx, action, nr, len(cmps), array)
                if rc < 0:
                    raise OSError(-rc, f"seccomp_rule_add {name}: {os.strerror(-rc)}")
            rc = self.lib.seccomp_load(ctx)
            if rc < 0:
                raise OSError(-rc, f"seccomp_load: {os.strerror(-rc)}")
        finally:
            self.lib.seccomp_release(ctx)


def syscall_groups() -> dict[str, set[str]]:
    """systemd's named system-call groups, from `systemd-analyze syscall-filter`."""
    text = subprocess.run(["systemd-analyze", "syscall-filter"], capture_output=True, text=True,
                          check=True).stdout
    groups: dict[str, set[str]] = {}
    current = None
    for line in text.splitlines():
        if line.startswith("@"):
            current = groups.setdefault(line.strip(), set())
        elif current is not None and line.strip() and not line.strip().startswith("#"):
            current.add(line.strip())
    return groups


def expand(name: str, groups: dict[str, set[str]]) -> set[str]:
    if not name.startswith("@"):
        return {name}
    out: set[str] = set()
    for item in groups[name]:
        out |= expand(item, groups)
    return out


def unit_syscall_allow_list() -> set[str]:
    groups = syscall_groups()
    return expand("@system-service", groups) - expand("@privileged", groups) - expand("@resources", groups)


def protect_system(writable: list[str]) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)

    def check(rc: int, what: str) -> None:
        if rc != 0:
            code = ctypes.get_errno()
            raise OSError(code, f"{what}: {os.strerror(code)}")
    check(libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    check(libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None), "make / private")
    for path in writable:
        p = os.fsencode(os.path.realpath(path))
        check(libc.mount(p, p, None, MS_BIND | MS_REC, None), f"bind {path}")
    check(libc.mount(b"none", b"/", None, MS_REMOUNT | MS_BIND | MS_RDONLY, None), "remount / read-only")
    # ProtectProc=invisible, ProcSubset=pid: a /proc of processes only (no
    # /proc/meminfo, /proc/cpuinfo, /proc/sys...), others' hidden.
    check(libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                     b"hidepid=invisible,subset=pid"), "mount /proc with subset=pid")


def drop_capabilities(last: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(last + 1):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() != errno.EINVAL:
            raise OSError(ctypes.get_errno(), f"PR_CAPBSET_DROP {cap}")


def apply_unit_restrictions(writable: list[str] | None) -> None:
    with open("/proc/sys/kernel/cap_last_cap") as f:   # read before /proc is narrowed
        last_cap = int(f.read())
    allow = unit_syscall_allow_list()                     # runs systemd-analyze: before the filters
    if writable is not None:
        protect_system(writable)
    drop_capabilities(last_cap)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    seccomp = Seccomp()
    eperm = act_errno(errno.EPERM)
    # MemoryDenyWriteExecute=yes
    wx = PROT_WRITE | PROT_EXEC
    seccomp.load(SCMP_ACT_ALLOW, [
        (eperm, "mmap", [(2, SCMP_CMP_MASKED_EQ, wx, wx)]),
        (eperm, "mprotect", [(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)]),
        (eperm, "pkey_mprotect", [(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)]),
        (eperm, "shmat", [(2, SCMP_CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC)]),
    ])
    # RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
    seccomp.load(SCMP_ACT_ALLOW, [(act_errno(errno.EAFNOSUPPORT), "socket", [(0, SCMP_CMP_EQ, af, 0)])
                                  for af in range(AF_MAX) if af not in ALLOWED_FAMILIES])
    # RestrictNamespaces=yes
    rules = [(eperm, "setns", []), (act_errno(errno.ENOSYS), "clone3", [])]
    for flag in CLONE_NEW_FLAGS:
        rules += [(eperm, "unshare", [(0, SCMP_CMP_MASKED_EQ, flag, flag)]),
                  (eperm, "clone", [(0, SCMP_CMP_MASKED_EQ, flag, flag)])]
    seccomp.load(SCMP_ACT_ALLOW, rules)
    # SystemCallFilter=@system-service, ~@privileged @resources: last, as systemd
    # loads it, since it forbids seccomp() itself.
    seccomp.load(eperm, [(SCMP_ACT_ALLOW, name, []) for name in sorted(allow)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rw", action="append", help="a writable path (ProtectSystem=strict on)")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    apply_unit_restrictions(args.rw)
    os.execvp(command[0], command)


if __name__ == "__main__":
    main()
