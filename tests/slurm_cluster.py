"""A real one-node SLURM cluster on localhost for the tests: munged, slurmctld and slurmd from
Debian's slurm-wlm and munge, a `cpu` and a `gpu` partition on the same node, no accounting.

The node has no GPU but declares one (``Gres=gpu:1``, ``gres.conf`` pointing at /dev/null), so
``sbatch -p gpu --gpus=1`` is accepted and runs with CUDA_VISIBLE_DEVICES set.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

# Jobs find the configuration at the compiled-in path only: Snakemake's SLURM plugins clear
# SLURM_* variables (SLURM_CONF too) inside jobs. The cluster writes its files there and
# removes them when it stops, and refuses to touch a slurm.conf it did not write.
CONF_DIR = Path("/etc/slurm")
MARKER = "# written by the Graph of Models test cluster"


def missing() -> str | None:
    """Why a cluster cannot be started here, or None."""
    if os.geteuid() != 0:
        return "the test cluster runs its daemons as root"
    for tool in ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed (apt-get install slurm-wlm munge)"
    conf = CONF_DIR / "slurm.conf"
    if conf.exists() and MARKER not in conf.read_text():
        return f"{conf} belongs to a real cluster on this machine; the test will not overwrite it"
    return None


class Cluster:
    def __init__(self, root: Path, cpus: int | None = None, memory_mb: int = 16000):
        self.root = Path(root)
        self.host = socket.gethostname()
        self.cpus = cpus or os.cpu_count() or 2
        self.memory_mb = memory_mb
        self.conf = CONF_DIR / "slurm.conf"
        self.env = {**os.environ, "SLURM_CONF": str(self.conf)}
        self.procs: list[subprocess.Popen] = []

    def write_config(self) -> None:
        for d in ("state", "spool", "log", "munge"):
            (self.root / d).mkdir(parents=True, exist_ok=True)
        CONF_DIR.mkdir(parents=True, exist_ok=True)
        self.conf.write_text(f"""{MARKER}
ClusterName=gomtest
SlurmctldHost={self.host}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket={self.root}/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
StateSaveLocation={self.root}/state
SlurmdSpoolDir={self.root}/spool
SlurmctldPidFile={self.root}/slurmctld.pid
SlurmdPidFile={self.root}/slurmd.pid
SlurmctldLogFile={self.root}/log/slurmctld.log
SlurmdLogFile={self.root}/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MinJobAge=3600
KillWait=30
GresTypes=gpu
NodeName={self.host} CPUs={self.cpus} RealMemory={self.memory_mb} Gres=gpu:1 State=UNKNOWN
PartitionName=cpu Nodes={self.host} Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes={self.host} MaxTime=INFINITE State=UP
""")
        (CONF_DIR / "gres.conf").write_text(f"{MARKER}\nNodeName={self.host} Name=gpu File=/dev/null\n")

    def start(self, timeout: float = 60) -> None:
        self.write_config()
        munge_dir = self.root / "munge"
        os.chown(munge_dir, 0, 0)
        self._spawn(
            [
                "munged",
                "--foreground",
                "--force",
                f"--socket={munge_dir}/munge.socket",
                f"--pid-file={munge_dir}/munged.pid",
                f"--log-file={munge_dir}/munged.log",
                f"--seed-file={munge_dir}/munged.seed",
                "--key-file=/etc/munge/munge.key",
            ]
        )
        self._wait(lambda: (munge_dir / "munge.socket").exists(), timeout, "munged")
        self._spawn(["slurmctld", "-D", "-f", str(self.conf)])
        self._spawn(["slurmd", "-D", "-f", str(self.conf)])
        self._wait(self._node_idle, timeout, "the SLURM node to become idle")

    def _spawn(self, cmd: list[str]) -> None:
        log = open(self.root / "log" / f"{Path(cmd[0]).name}.out", "w")
        self.procs.append(subprocess.Popen(cmd, env=self.env, stdout=log, stderr=subprocess.STDOUT))

    def _node_idle(self) -> bool:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], env=self.env, capture_output=True, text=True).stdout
        return "idle" in out

    def _wait(self, ready, timeout: float, what: str) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if ready():
                return
            for p in self.procs:
                if p.poll() is not None:
                    raise RuntimeError(f"{p.args[0]} exited with {p.returncode}; see {self.root}/log")
            time.sleep(0.5)
        raise RuntimeError(f"timed out waiting for {what}; see {self.root}/log")

    def run(self, *cmd: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(list(cmd), env=self.env, capture_output=True, text=True, check=check)

    def stop(self) -> None:
        subprocess.run(["scancel", "--user=root"], env=self.env, capture_output=True)
        for p in reversed(self.procs):
            p.terminate()
        for p in reversed(self.procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        self.procs.clear()
        for name in ("slurm.conf", "gres.conf"):
            path = CONF_DIR / name
            if path.exists() and MARKER in path.read_text():
                path.unlink()
