"""Running a job on the GPU with the CPU as the way out.

`GpuGate.run(step, on_gpu, on_cpu)` runs `on_gpu` while holding one of
`cap` GPU slots (consumer NVENC allows only a few sessions at once; a job
waits for a slot rather than failing); if it raises, the job runs again with
`on_cpu`. Each fallback is counted; the first of each step is logged as a
warning with ffmpeg's reason, later ones at debug level, so a broken GPU
does not flood the log.
"""
from __future__ import annotations

import logging
import threading
from typing import Callable, TypeVar

log = logging.getLogger("tobsd.media.process")

T = TypeVar("T")


class GpuGate:
    def __init__(self, family: str | None, cap: int) -> None:
        self.family = family
        self.cap = cap
        self._slots = threading.BoundedSemaphore(max(1, cap))
        self._lock = threading.Lock()
        self._fallbacks = 0
        self._logged: set[str] = set()
        self._active = 0
        self.peak = 0          # most GPU jobs seen at once (the cap's proof)

    @property
    def fallbacks(self) -> int:
        return self._fallbacks

    def run(self, step: str, on_gpu: Callable[[], T] | None, on_cpu: Callable[[], T]) -> tuple[T, str]:
        """The job's result and the device that made it ("cpu" or the family)."""
        if self.family is None or on_gpu is None:
            return on_cpu(), "cpu"
        with self._slots:
            with self._lock:
                self._active += 1
                self.peak = max(self.peak, self._active)
            try:
                return on_gpu(), self.family
            except Exception as exc:   # any GPU failure: this job goes to the CPU
                self._fell_back(step, exc)
            finally:
                with self._lock:
                    self._active -= 1
        return on_cpu(), "cpu"

    def _fell_back(self, step: str, exc: Exception) -> None:
        with self._lock:
            self._fallbacks += 1
            first = step not in self._logged
            self._logged.add(step)
        if first:
            log.warning("%s on %s failed (%s); this and later failing %s jobs run on the CPU",
                        step, self.family, exc, step)
        else:
            log.debug("%s on %s failed (%s); ran on the CPU", step, self.family, exc)
