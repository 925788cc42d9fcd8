"""Speech to text for voice notes and round videos (the extra `tobs[transcribe]`).

faster-whisper (CTranslate2) runs the model on CUDA when CTranslate2 sees a
CUDA device, otherwise on the CPU with int8 weights. The model is a folder
on disk or a model name; a name is looked up only in the local model cache
unless the configuration sets `transcribe_download = true`, so nothing is
fetched from the network behind the user's back. The model is loaded on
first use, in the processing pool, and shared by all jobs (one transcription
at a time: CTranslate2 already uses several cores for one).
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

log = logging.getLogger("tobsd.media.process")


#: oneDNN's error when it may not make its generated kernels executable.
JIT_REFUSED = "could not create a primitive"
NO_EXECUTABLE_MEMORY = (
    "CTranslate2 generates its kernels at run time and this process may not run them "
    "(systemd's MemoryDenyWriteExecute=yes); `tobsd unit-dropin` prints a drop-in with "
    "MemoryDenyWriteExecute=no for a configuration that sets transcribe_model")


class TranscribeUnavailable(Exception):
    """Transcription cannot run: the extra is missing or the model cannot be loaded."""


def extra_installed() -> bool:
    try:
        import faster_whisper  # noqa: F401
    except ImportError:
        return False
    return True


def cuda_devices() -> int:
    """CUDA devices CTranslate2 can use (0 without the extra or a GPU)."""
    try:
        import ctranslate2
        return int(ctranslate2.get_cuda_device_count())
    except Exception:
        return 0


def choose_device(setting: str, cuda_count: int) -> tuple[str, str]:
    """(device, compute type) for the `transcribe_device` setting."""
    if setting == "cuda" or (setting == "auto" and cuda_count > 0):
        return "cuda", "float16"
    return "cpu", "int8"


class Transcriber:
    """Loads the model once; `transcribe(path)` returns the text (may be "")."""

    def __init__(self, model: str, *, device: str = "auto", download: bool = False,
                 language: str = "", cpu_threads: int = 0) -> None:
        self.model_ref = model
        self.setting = device
        self.download = download
        self.language = language or None
        self.cpu_threads = cpu_threads
        self.device: str | None = None
        self._model = None
        self._error: str | None = None
        self._lock = threading.Lock()

    def describe(self) -> str:
        if self._error:
            return f"unavailable: {self._error}"
        return f"{self.model_ref} on {self.device}" if self.device else f"{self.model_ref} (loaded on first use)"

    def _load(self):
        if self._model is not None:
            return self._model
        if self._error is not None:
            raise TranscribeUnavailable(self._error)
        if not extra_installed():
            self._error = "faster-whisper is not installed (pip install 'tobs[transcribe]')"
            raise TranscribeUnavailable(self._error)
        from faster_whisper import WhisperModel
        is_path = Path(self.model_ref).expanduser().is_absolute()
        if is_path and not Path(self.model_ref).expanduser().is_dir():
            self._error = f"the model folder {self.model_ref} does not exist"
            raise TranscribeUnavailable(self._error)
        device, compute = choose_device(self.setting, cuda_devices())
        try:
            model = self._open(WhisperModel, device, compute, is_path)
        except TranscribeUnavailable:
            raise
        except Exception as exc:
            if device != "cuda":
                self._error = f"cannot load {self.model_ref}: {exc}"
                raise TranscribeUnavailable(self._error) from None
            log.warning("transcription cannot use CUDA (%s); using the CPU", exc)
            device, compute = "cpu", "int8"
            try:
                model = self._open(WhisperModel, device, compute, is_path)
            except Exception as exc2:
                self._error = f"cannot load {self.model_ref}: {exc2}"
                raise TranscribeUnavailable(self._error) from None
        self._model, self.device = model, device
        log.info("transcription model %s loaded on %s (%s)", self.model_ref, device, compute)
        return model

    def _open(self, cls, device: str, compute: str, is_path: bool):
        local_only = is_path or not self.download
        try:
            return cls(str(Path(self.model_ref).expanduser()) if is_path else self.model_ref,
                       device=device, compute_type=compute, cpu_threads=self.cpu_threads,
                       local_files_only=local_only)
        except Exception as exc:
            if local_only and not is_path and "local" in str(exc).lower() + type(exc).__name__.lower():
                self._error = (f"model {self.model_ref!r} is not on this machine; name a local folder "
                               "or set transcribe_download = true")
                raise TranscribeUnavailable(self._error) from None
            raise

    def transcribe(self, path: Path, stop=lambda: False) -> str:
        """The speech in `path` as one paragraph of text. `stop()` is asked
        between segments; when it is true the work ends (TranscribeUnavailable)."""
        with self._lock:
            model = self._load()
            try:
                segments, _info = model.transcribe(str(path), beam_size=1, language=self.language,
                                                   vad_filter=False, condition_on_previous_text=False)
                texts = []
                for segment in segments:   # decoded lazily, one segment at a time
                    if stop():
                        raise TranscribeUnavailable("processing is stopping")
                    if segment.text.strip():
                        texts.append(segment.text.strip())
                return " ".join(texts)
            except RuntimeError as exc:
                if JIT_REFUSED not in str(exc):
                    raise
                # Every later file would fail the same way: say it once, clearly.
                self._model, self._error = None, NO_EXECUTABLE_MEMORY
                raise TranscribeUnavailable(NO_EXECUTABLE_MEMORY) from None
