"""A local NATS federation on loopback ports, for development, the fault tests and the
benchmark (no Django here): the centre's 3-node JetStream cluster, and one leaf node per
province that joins it. Each server gets a configuration file and a store directory under
one folder of its own; only the processes this object started are ever stopped.

Why leaf nodes for the provinces: a leaf node is the province's own NATS server, its
clients (the province's Jiliang) connect to it locally, and it extends the centre's
account over one outbound connection (firewall-friendly, TLS and credentials on that one
link). A leaf without JetStream of its own forwards JetStream API requests and
publications to the centre's cluster, where the replicated streams live; a province that is
cut off keeps its changes in its own database (the outbox) and publishes them again from
where the centre's stream stopped (transport.py), so nothing is stored twice at the edge.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

CLUSTER_NAME = "jiliang-centre"
JS_DOMAIN = "centre"  # the centre's JetStream domain: provinces reach its API as $JS.centre.API.> over the leaf


def nats_server_binary() -> str | None:
    found = shutil.which("nats-server")
    if found:
        return found
    return "/usr/sbin/nats-server" if os.path.exists("/usr/sbin/nats-server") else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Server:
    """One nats-server: its name, ports, configuration file and (while running) pid."""

    name: str
    role: str  # "centre" or "leaf"
    client_port: int
    monitor_port: int
    config: str
    cluster_port: int = 0
    leaf_port: int = 0
    province: str = ""
    pid: int = 0

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.client_port}"


def _port_block(base_port: int | None, count: int) -> list[int]:
    if base_port is None:
        return [free_port() for _ in range(count)]
    return list(range(base_port, base_port + count))


@dataclass
class LocalFederation:
    """The servers of a local federation under ``root``: ``centre`` (3 nodes) and ``leaves``
    (one per province code). ``write()`` makes the configuration files, ``start()`` the
    processes, ``stop()`` ends exactly those (by pid), ``remove()`` also deletes ``root``."""

    root: str
    provinces: list[str]
    centre: list[Server] = field(default_factory=list)
    leaves: dict[str, Server] = field(default_factory=dict)
    _procs: dict[str, subprocess.Popen] = field(default_factory=dict, repr=False)

    @classmethod
    def create(
        cls, provinces: list[str], *, root: str | None = None, base_port: int | None = None, nodes: int = 3
    ) -> LocalFederation:
        """Lay out servers and ports (``base_port``: consecutive ports from there, else free
        ones picked by the kernel) and write every configuration file."""
        root = root or tempfile.mkdtemp(prefix="jiliang-federation-")
        ports = iter(_port_block(base_port, 4 * nodes + 2 * len(provinces)))
        fed = cls(root=root, provinces=list(provinces))
        for i in range(1, nodes + 1):
            name = f"centre-{i}"
            fed.centre.append(
                Server(
                    name,
                    "centre",
                    client_port=next(ports),
                    monitor_port=next(ports),
                    cluster_port=next(ports),
                    leaf_port=next(ports),
                    config=str(Path(root) / f"{name}.conf"),
                )
            )
        for code in provinces:
            name = f"leaf-{code}"
            fed.leaves[code] = Server(
                name,
                "leaf",
                client_port=next(ports),
                monitor_port=next(ports),
                config=str(Path(root) / f"{name}.conf"),
                province=code,
            )
        fed.write()
        return fed

    # ---- configuration -------------------------------------------------------------
    def write(self) -> None:
        Path(self.root).mkdir(parents=True, exist_ok=True)
        routes = ", ".join(f'"nats-route://127.0.0.1:{s.cluster_port}"' for s in self.centre)
        for s in self.centre:
            store = Path(self.root) / s.name
            # One node alone (the benchmark's baseline) is a plain server: no cluster to route to.
            cluster = (
                f"""cluster {{
  name: "{CLUSTER_NAME}"
  listen: "127.0.0.1:{s.cluster_port}"
  routes: [{routes}]
}}
"""
                if len(self.centre) > 1
                else ""
            )
            Path(s.config).write_text(
                f"""# Jiliang local federation: centre node {s.name} (written by jiliang.federation.localnet)
server_name: "{s.name}"
listen: "127.0.0.1:{s.client_port}"
http: "127.0.0.1:{s.monitor_port}"
jetstream {{
  domain: "{JS_DOMAIN}"
  store_dir: "{store}"
  max_memory_store: 64MB
  max_file_store: 4GB
}}
{cluster}leafnodes {{
  listen: "127.0.0.1:{s.leaf_port}"
}}
""",
                encoding="utf-8",
            )
        hubs = ", ".join(f'"nats-leaf://127.0.0.1:{s.leaf_port}"' for s in self.centre)
        for s in self.leaves.values():
            Path(s.config).write_text(
                f"""# Jiliang local federation: province {s.province}'s leaf node (no JetStream of its own:
# publications and JetStream API requests go on to the centre's cluster)
server_name: "{s.name}"
listen: "127.0.0.1:{s.client_port}"
http: "127.0.0.1:{s.monitor_port}"
leafnodes {{
  reconnect: 1
  remotes: [{{ urls: [{hubs}] }}]
}}
""",
                encoding="utf-8",
            )
        self.save_state()

    def servers(self) -> list[Server]:
        return [*self.centre, *self.leaves.values()]

    def server(self, name: str) -> Server:
        return next(s for s in self.servers() if s.name == name)

    @property
    def centre_urls(self) -> list[str]:
        return [s.url for s in self.centre]

    def leaf_url(self, province: str) -> str:
        return self.leaves[province].url

    # ---- processes -------------------------------------------------------------------
    def start(self, timeout: float = 30.0) -> None:
        """Start every server not running, then wait until the cluster has elected its
        JetStream meta leader and every leaf has joined."""
        for s in self.servers():
            if not self.running(s.name):
                self.start_server(s.name, wait=False)
        self.wait_ready(timeout)

    def start_server(self, name: str, *, wait: bool = True, timeout: float = 30.0) -> None:
        binary = nats_server_binary()
        if binary is None:
            raise RuntimeError("nats-server not found (apt-get install nats-server)")
        s = self.server(name)
        log = open(Path(self.root) / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it
        proc = subprocess.Popen([binary, "-c", s.config], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        self._procs[name] = proc
        s.pid = proc.pid
        self.save_state()
        if wait:
            _wait(lambda: port_open(s.client_port), timeout, f"{name} to listen")
            if s.role == "leaf":
                _wait(lambda: self._leaf_connected(s), timeout, f"{name} to join the centre")

    def stop_server(self, name: str, *, kill: bool = False, timeout: float = 20.0) -> None:
        """Stop one server this object started: SIGKILL when ``kill`` (a crash), else SIGTERM."""
        s = self.server(name)
        proc = self._procs.pop(name, None)
        if proc is not None:
            proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            proc.wait(timeout)
        elif s.pid and _is_ours(s):
            os.kill(s.pid, signal.SIGKILL if kill else signal.SIGTERM)
            _wait(lambda: not _alive(s.pid), timeout, f"{name} to stop")
        s.pid = 0
        self.save_state()

    def running(self, name: str) -> bool:
        s = self.server(name)
        proc = self._procs.get(name)
        if proc is not None:
            return proc.poll() is None
        return bool(s.pid) and _is_ours(s)

    def stop(self) -> None:
        for s in reversed(self.servers()):
            if self.running(s.name):
                self.stop_server(s.name)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def wait_ready(self, timeout: float = 30.0) -> None:
        for s in self.servers():
            _wait(lambda s=s: port_open(s.client_port), timeout, f"{s.name} to listen")
        _wait(self._meta_leader, timeout, "the centre's JetStream meta leader")
        for s in self.leaves.values():
            _wait(lambda s=s: self._leaf_connected(s), timeout, f"{s.name} to join the centre")

    def _meta_leader(self) -> bool:
        for s in self.centre:
            if not self.running(s.name):
                continue
            info = _monitor(s.monitor_port, "jsz")
            if info and (len(self.centre) == 1 or (info.get("meta_cluster") or {}).get("leader")):
                return True
        return False

    def _leaf_connected(self, s: Server) -> bool:
        info = _monitor(s.monitor_port, "leafz")
        return bool(info and info.get("leafnodes"))

    # ---- state file (for `scripts/federation down|status` in another process) --------
    @property
    def state_file(self) -> Path:
        return Path(self.root) / "federation.json"

    def save_state(self, **extra) -> None:
        data = {"root": self.root, "provinces": self.provinces, "centre": [asdict(s) for s in self.centre]}
        data["leaves"] = {code: asdict(s) for code, s in self.leaves.items()}
        old = json.loads(self.state_file.read_text()) if self.state_file.exists() else {}
        data["extra"] = {**old.get("extra", {}), **extra}
        self.state_file.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, root: str) -> LocalFederation:
        data = json.loads((Path(root) / "federation.json").read_text(encoding="utf-8"))
        fed = cls(root=data["root"], provinces=data["provinces"])
        fed.centre = [Server(**s) for s in data["centre"]]
        fed.leaves = {code: Server(**s) for code, s in data["leaves"].items()}
        return fed

    def extra(self) -> dict:
        return json.loads(self.state_file.read_text(encoding="utf-8")).get("extra", {})


def _monitor(port: int, endpoint: str) -> dict | None:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/{endpoint}", timeout=1) as response:
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_ours(s: Server) -> bool:
    """The pid is still a nats-server running this server's configuration file (a pid reused
    by another process after a reboot is never signalled)."""
    try:
        cmdline = Path(f"/proc/{s.pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return s.config.encode() in cmdline


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.05)
