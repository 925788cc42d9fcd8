"""The committed generated modules are what proto/generate.py makes from proto/."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_generated_code_matches_the_proto():
    run = subprocess.run([sys.executable, str(ROOT / "proto" / "generate.py"), "--check"],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_the_service_has_a_method_per_rpc_of_the_issue():
    from tobs.v1 import SERVICE_NAME, pb
    methods = {m.name for m in pb.DESCRIPTOR.services_by_name["Tobs"].methods}
    assert SERVICE_NAME == "tobs.v1.Tobs"
    assert methods == {"GetVersion", "GetStatus", "ListChats", "AddChat", "RemoveChat",
                       "PauseChat", "ResumeChat", "SyncNow", "Resync", "WatchEvents",
                       "ReloadConfig", "Login"}
