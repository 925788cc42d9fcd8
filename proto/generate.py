"""Generate the Python modules of the TOBS API from proto/ into tobs/v1/.

    python proto/generate.py            write tobs/v1/*_pb2*.py
    python proto/generate.py --check    exit 1 when the committed files differ

The generated modules are committed (so an install needs no code generator);
tests/unit/api/test_generated.py runs --check, so a .proto change without
regenerating fails the suite. Needs grpcio-tools (the `test` extra).
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROTO_ROOT = ROOT / "proto"
PACKAGE = "tobs/v1"


def generate(out: Path) -> list[Path]:
    """Run protoc (from grpcio-tools) over proto/tobs/v1/*.proto into `out`."""
    import grpc_tools
    from grpc_tools import protoc

    includes = Path(grpc_tools.__file__).parent / "_proto"
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in (PROTO_ROOT / PACKAGE).glob("*.proto"))
    out.mkdir(parents=True, exist_ok=True)
    code = protoc.main(["protoc", f"-I{PROTO_ROOT}", f"-I{includes}", f"--python_out={out}",
                        f"--pyi_out={out}", f"--grpc_python_out={out}", *protos])
    if code != 0:
        raise SystemExit(f"protoc failed ({code})")
    return sorted((out / PACKAGE).glob("*_pb2*.py*"))


def main(argv: list[str]) -> int:
    target = ROOT / PACKAGE
    with tempfile.TemporaryDirectory() as tmp:
        fresh = generate(Path(tmp))
        if "--check" in argv:
            stale = [p.name for p in fresh
                     if not (target / p.name).exists() or (target / p.name).read_bytes() != p.read_bytes()]
            extra = {p.name for p in target.glob("*_pb2*.py*")} - {p.name for p in fresh}
            if stale or extra:
                print("generated code out of date: " + ", ".join(sorted(stale + list(extra)))
                      + "; run `python proto/generate.py`", file=sys.stderr)
                return 1
            return 0
        target.mkdir(parents=True, exist_ok=True)
        for path in fresh:
            (target / path.name).write_bytes(path.read_bytes())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
