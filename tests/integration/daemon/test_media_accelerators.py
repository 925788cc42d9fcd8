"""The daemon builds media processing at start: the accelerator detection
(real one-frame ffmpeg test jobs) shows in GetStatus and `tobsctl doctor`."""
from __future__ import annotations

import shutil

from fakegram.testing import small_world
from tests.daemonkit import TobsdProcess, write_config

GPU_FAMILIES = {"nvidia", "vaapi", "qsv"}


def accelerators(status: dict) -> dict | None:
    return status["daemon"].get("accelerators")


async def test_status_and_doctor_show_what_processing_runs_on(make_server, tmp_path):
    async with make_server(small_world()) as server:
        config = write_config(tmp_path, server, ["@news"])
        tobsd = TobsdProcess(config).start()
        try:
            status = await tobsd.wait_for(
                lambda s: accelerators(s) and accelerators(s).get("used"), 60,
                "the accelerator detection in status")
            acc = accelerators(status)
            assert acc["used"] in GPU_FAMILIES | {"cpu"}
            found = acc.get("found", {})
            if acc["used"] == "cpu":
                # every family was tried, and each says why it was not used
                assert not found
                for family in GPU_FAMILIES:
                    assert any(n.startswith(f"{family}: ") for n in acc["notes"]), acc
            else:
                assert acc["used"] in found and (acc.get("can_decode") or acc.get("can_encode"))
            doctor = await tobsd.tobsctl("--json", "doctor")
            checks = {c["check"]: c for c in doctor.json()["checks"]}
            assert checks["accelerators"]["ok"]
            assert f"media processing on {'the CPU' if acc['used'] == 'cpu' else acc['used']}" \
                in checks["accelerators"]["detail"]
            human = await tobsd.tobsctl("doctor")
            assert "accelerators: media processing on" in human.stdout
        finally:
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]
    assert shutil.which("ffmpeg")


async def test_accelerator_cpu_in_the_config_tests_no_gpu(make_server, tmp_path):
    async with make_server(small_world()) as server:
        config = write_config(tmp_path, server, ["@news"],
                              extra='[processing]\naccelerator = "cpu"\nworkers = 1\n')
        tobsd = TobsdProcess(config).start()
        try:
            status = await tobsd.wait_for(
                lambda s: accelerators(s) and accelerators(s).get("used"), 60,
                "the accelerator detection in status")
            acc = accelerators(status)
            assert acc["used"] == "cpu" and not acc.get("found")
            assert acc["notes"] == ['accelerator = "cpu" in the configuration: no GPU tested']
        finally:
            assert await tobsd.terminate() == 0, tobsd.log()[-3000:]
