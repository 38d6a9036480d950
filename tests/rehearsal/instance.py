"""One rehearsed worker instance: a Debian root (an overlay on the cached one), its own network
namespace with an instance metadata stand-in, the shared model store mounted where EFS would be,
and the real worker playbook run inside it the way AWS-ApplyAnsiblePlaybooks runs it
(`ansible-playbook -i "localhost," -c local -e "<ExtraVariables>" worker.yml`).

Needs root (mount, chroot, ip netns). Everything started here is stopped by `close()`: the
processes whose root is this instance's root, the metadata stand-in, the mounts, the namespace.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import debian_root

HERE = Path(__file__).resolve().parent
WORKER_PORT = 11434
METADATA_ADDRESS = "169.254.169.254"


def run(*command: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(command), capture_output=True, text=True, check=check)


@dataclass
class Instance:
    """A worker "instance" named and tagged as the fleet template names and tags it."""

    name: str
    pool: str
    index: int
    directory: Path
    efs: Path
    efs_ip: str
    mounts: list[Path] = field(default_factory=list)
    metadata: subprocess.Popen[bytes] | None = None

    @property
    def namespace(self) -> str:
        return f"cakap-rh-{os.getpid()}-{self.index}"

    @property
    def host_link(self) -> str:
        return f"rh{os.getpid() % 100000}x{self.index}"

    @property
    def subnet(self) -> str:
        return f"10.213.{os.getpid() % 250}.{self.index * 4}"

    @property
    def host_address(self) -> str:
        """The host's end of the instance's link (where the rehearsal's own servers listen)."""
        return self.subnet.rsplit(".", 1)[0] + f".{self.index * 4 + 1}"

    @property
    def address(self) -> str:
        """The instance's private address (what the balancer would target)."""
        return self.subnet.rsplit(".", 1)[0] + f".{self.index * 4 + 2}"

    @property
    def url(self) -> str:
        return f"http://{self.address}:{WORKER_PORT}"

    @property
    def root(self) -> Path:
        return self.directory / "root"

    def create(self) -> None:
        """The root (overlay on the cached bookworm), its mounts, the network and the metadata service."""
        lower = debian_root.cached_root()
        for name in ("upper", "work", "root"):
            (self.directory / name).mkdir(parents=True, exist_ok=True)
        options = f"lowerdir={lower},upperdir={self.directory / 'upper'},workdir={self.directory / 'work'}"
        self.mount("-t", "overlay", "overlay", "-o", options, target=self.root)
        self.mount("-t", "proc", "proc", target=self.root / "proc")
        (self.root / "share").mkdir(exist_ok=True)
        self.mount("--bind", str(self.efs), target=self.root / "share")
        shutil.copy(HERE / "systemctl_standin.py", self.root / "usr/bin/systemctl")
        os.chmod(self.root / "usr/bin/systemctl", 0o755)
        (self.root / "run/rehearsal").mkdir(parents=True, exist_ok=True)
        (self.root / "run/rehearsal/efs-ip").write_text(self.efs_ip)
        (self.root / "etc/hostname").write_text(self.name + "\n")
        # An instance refreshes apt's lists when it boots (the document's InstallDependencies step,
        # through the NAT); the rehearsal has no network in the namespace, so the cached root's lists
        # stand for that refresh: dated now, the playbook's apt task (cache_valid_time) uses them.
        os.utime(self.root / "var/lib/apt/lists")
        self.network()

    def mount(self, *arguments: str, target: Path) -> None:
        run("mount", *arguments, str(target))
        self.mounts.append(target)

    def network(self) -> None:
        """A namespace with a veth link to the host and 169.254.169.254 on its loopback."""
        namespace, link = self.namespace, self.host_link
        run("ip", "netns", "add", namespace)
        run("ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", namespace)
        run("ip", "addr", "add", f"{self.host_address}/30", "dev", link)
        run("ip", "link", "set", link, "up")
        inside = ("ip", "netns", "exec", namespace)
        run(*inside, "ip", "link", "set", "lo", "up")
        run(*inside, "ip", "addr", "add", f"{METADATA_ADDRESS}/32", "dev", "lo")
        run(*inside, "ip", "addr", "add", f"{self.address}/30", "dev", "eth0")
        run(*inside, "ip", "link", "set", "eth0", "up")
        self.metadata = subprocess.Popen(
            [*inside, sys.executable, str(HERE / "imds.py"), "--tag", f"Name={self.name}", "--tag", f"Pool={self.pool}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def apply_playbook(self, playbook_zip: Path, extra_variables: str, log: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """The playbook zip unpacked into the root and run there as the SSM document runs it."""
        target = self.root / "var/lib/amazon/ssm/playbook"
        shutil.rmtree(target, ignore_errors=True)
        with zipfile.ZipFile(playbook_zip) as archive:
            archive.extractall(target)
        script = f'cd /var/lib/amazon/ssm/playbook && ansible-playbook -i "localhost," -c local -e "{extra_variables}" worker.yml -v'
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root", "LANG": "C.UTF-8", "ANSIBLE_NOCOLOR": "1"}
        result = subprocess.run(
            ["ip", "netns", "exec", self.namespace, "chroot", str(self.root), "/bin/sh", "-c", script],
            capture_output=True, text=True, env=env, timeout=timeout,
        )
        log.write_text(result.stdout + result.stderr)
        return result

    def worker_log(self) -> str:
        path = self.root / "var/log/cakap/worker.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else "(no worker log)"

    def processes(self) -> list[int]:
        """Processes whose root directory is this instance's root (the worker and its engines)."""
        found = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if os.readlink(entry / "root") == str(self.root):
                        found.append(int(entry.name))
                except OSError:
                    continue
        return found

    def close(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in self.processes():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + 15
            while self.processes() and time.monotonic() < deadline:
                time.sleep(0.2)
        if self.metadata:
            self.metadata.terminate()
            self.metadata.wait(10)
        for target in reversed(self.mounts):
            run("umount", "-l", str(target), check=False)
        run("ip", "link", "del", self.host_link, check=False)
        run("ip", "netns", "del", self.namespace, check=False)
