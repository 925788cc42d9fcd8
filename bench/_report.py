"""The sync benchmark's report: ratios and targets from one run's
measurements, machine facts, and the human-readable table."""
from __future__ import annotations

import os
import platform
import sys

# name -> (what is compared, how it passes, the bound)
TARGETS = {
    "tobsd_vs_tg_archive_rtt100": ("ratio_tobsd_vs_tg_archive_rtt100", ">=", 8.0),
    "tobsd_vs_loop_rtt100": ("ratio_tobsd_vs_loop_rtt100", ">=", 6.0),
    "tobsd_vs_loop_rtt0": ("ratio_tobsd_vs_loop_rtt0", ">=", 0.6),
    "noop_resync_requests_per_chat": ("noop_resync_requests_per_chat", "<=", 1.0),
    "live_latency_p99_s": ("live_latency_p99_s", "<=", 1.0),
}


def ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def add_ratios_and_targets(r: dict) -> None:
    """Fill the ratio keys and `targets` ({name: {value, op, bound, pass}});
    `pass` is null where a side was not measured."""
    r["ratio_tobsd_vs_tg_archive_rtt100"] = ratio(r.get("tobsd_msgs_per_s_rtt100"),
                                                  r.get("tg_archive_msgs_per_s_rtt100"))
    r["ratio_tobsd_vs_loop_rtt100"] = ratio(r.get("tobsd_msgs_per_s_rtt100"),
                                            r.get("telethon_loop_msgs_per_s_rtt100"))
    r["ratio_tobsd_vs_loop_rtt0"] = ratio(r.get("tobsd_msgs_per_s_rtt0"),
                                          r.get("telethon_loop_msgs_per_s_rtt0"))
    targets = {}
    for name, (key, op, bound) in TARGETS.items():
        value = r.get(key)
        passed = None if value is None else (value >= bound if op == ">=" else value <= bound)
        targets[name] = {"value": value, "op": op, "bound": bound, "pass": passed}
    r["targets"] = targets


def machine_info() -> dict:
    import telethon
    try:
        import cryptg  # noqa: F401
        has_cryptg = True
    except ImportError:
        has_cryptg = False
    return {"cpu_count": os.cpu_count(), "python": sys.version.split()[0],
            "implementation": platform.python_implementation(),
            "platform": platform.platform(), "telethon": telethon.__version__,
            "cryptg": has_cryptg}


def fmt(value, unit: str = "", digits: int = 0) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{unit}"
    return f"{value}{unit}"


def table(r: dict) -> str:
    rows = [
        ("messages in the channel", f"{r['messages']:,}"),
        ("tobsd, RTT 0 ms", fmt(r["tobsd_msgs_per_s_rtt0"], " msgs/s")
         + f"  ({r['tobsd_backfill_requests_in_flight_rtt0']} in flight)"),
        ("tobsd, RTT 100 ms", fmt(r["tobsd_msgs_per_s_rtt100"], " msgs/s")
         + f"  ({r['tobsd_backfill_requests_in_flight_rtt100']} in flight)"),
        ("Telethon loop, RTT 0 ms", fmt(r["telethon_loop_msgs_per_s_rtt0"], " msgs/s")),
        ("Telethon loop, RTT 100 ms", fmt(r["telethon_loop_msgs_per_s_rtt100"], " msgs/s")),
        ("tg-archive, RTT 0 ms", fmt(r["tg_archive_msgs_per_s_rtt0"], " msgs/s")),
        ("tg-archive, RTT 100 ms", fmt(r["tg_archive_msgs_per_s_rtt100"], " msgs/s")),
        *[(f"CPU s, RTT {rtt}: daemon / writer / fakegram",
           " / ".join(fmt(r.get(f"{k}_rtt{rtt}"), "", 1)
                      for k in ("cpu_s_daemon", "cpu_s_writer", "cpu_s_fakegram")))
          for rtt in (0, 100)],
        ("tobsd peak RSS", fmt(r["tobsd_peak_rss_mb"], " MB", 1)),
        ("no-op resync", fmt(r["noop_resync_requests_per_chat"], " requests/chat", 1)),
        ("live latency p50 / p99", f"{fmt(r['live_latency_p50_s'], ' s', 3)} / "
                                   f"{fmt(r['live_latency_p99_s'], ' s', 3)}"),
    ]
    width = max(len(name) for name, _ in rows)
    lines = ["TOBS sync benchmark" + ("  (quick)" if r["quick"] else ""), ""]
    lines += [f"  {name:<{width}}  {value}" for name, value in rows]
    lines += ["", "  targets:"]
    for name, t in r["targets"].items():
        mark = {True: "PASS", False: "FAIL", None: "n/a "}[t["pass"]]
        lines.append(f"    {mark}  {name:<32} {fmt(t['value'], '', 3):>10} {t['op']} {t['bound']:g}")
    if r["notes"]:
        lines += ["", "  notes:"] + [f"    - {n}" for n in r["notes"]]
    m = r["machine"]
    lines += ["", f"  machine: {m['cpu_count']} CPUs, Python {m['python']}, Telethon {m['telethon']}"
                  f" (cryptg {'yes' if m['cryptg'] else 'no'}); run took {r['duration_s']:.0f} s"]
    return "\n".join(lines)
