"""The reference Harbor's streaming service against nginx (`sendfile on`), both on 127.0.0.1, both
fetched by curl to /dev/null over one HTTP/1.1 connection:

  - a 1 GiB download: throughput, time to first byte, server CPU time, and the server's resident
    memory (RSS of its process(es) from /proc: before, and the peak sampled every 5 ms during the
    download, checked against the kernel's high-water mark VmHWM, reset before each download);
  - time to first byte of a small file (4 MiB) against the 1 GiB file (independence of size),
    curl stopping right after the headers of the real 200 response for the big one.

The reference Harbor is its own process (bench/big_file_harbor.py: `python -m reference_harbor`'s
main, its catalog extended by one 1 GiB generated file); curl fetches the signed streaming URL the
download URL redirects to, so only the streaming service is timed. nginx (one worker, as the
Harbor is one process) serves files written with the very same bytes into a temporary directory,
deleted at the end. One untimed 1 GiB download per server first (page cache, warm code).

    .venv/bin/python bench/streaming.py            # 8 big downloads and 30 TTFB pairs per server (about 1 minute)
    .venv/bin/python bench/streaming.py --quick    # 2 and 5
"""

from __future__ import annotations

import argparse
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, TypeVar

import bench_support as bs
from big_file_harbor import BIG_FILE_ID, BIG_FILE_SIZE, big_file_body

from reference_harbor.__main__ import READY_PREFIX
from reference_harbor.catalog import file_seed
from reference_harbor.content import GeneratedBody

# The catalog's small file (the 2.0.0 tools archive): same id, name and size on both servers.
SMALL_FILE_ID = "f-200-tools"
SMALL_FILE_SIZE = 4 * (1 << 20) + 12_345
MIB = 1 << 20
SAMPLE_EVERY_S = 0.005
START_TIMEOUT_S = 60.0
TARGET_THROUGHPUT_SHARE = 0.5  # at least half of nginx's


# -- /proc: processes, memory, CPU -----------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    """The process and its descendants (nginx: master and worker)."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _status_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def rss_mib(pids: list[int]) -> float:
    return sum(_status_kib(pid, "VmRSS") for pid in pids) / 1024


def cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
        except OSError:
            pass
    return ticks / 100  # USER_HZ


class MemoryWatch:
    """The peak RSS of a set of processes while it runs: sampled, and the kernel's own VmHWM
    (reset at the start through /proc/PID/clear_refs where allowed)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.before_mib = rss_mib(pids)
        self.peak_mib = self.before_mib
        self.hwm_reset = all(self._reset_hwm(pid) for pid in pids)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @staticmethod
    def _reset_hwm(pid: int) -> bool:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")
            return True
        except OSError:
            return False

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_EVERY_S):
            self.peak_mib = max(self.peak_mib, rss_mib(self.pids))

    def __enter__(self) -> MemoryWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mib = max(self.peak_mib, rss_mib(self.pids))

    @property
    def hwm_mib(self) -> float | None:
        """Sum of the processes' high-water marks since the reset (None when it could not be reset)."""
        return sum(_status_kib(pid, "VmHWM") for pid in self.pids) / 1024 if self.hwm_reset else None


# -- the two servers --------------------------------------------------------------------------


class Server(ABC):
    """A server under test: how to reach its small and big file, and its processes."""

    name: str
    process: subprocess.Popen[str]

    @abstractmethod
    def small_url(self) -> str: ...

    @abstractmethod
    def big_url(self) -> str: ...

    def pids(self) -> list[int]:
        return process_tree(self.process.pid)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class ReferenceHarbor(Server):
    """bench/big_file_harbor.py in a child process; its digest cache in a temporary directory,
    so the benchmark leaves nothing in the user's cache."""

    name = "reference Harbor"

    def __init__(self, work_dir: Path) -> None:
        command = [
            sys.executable,
            str(Path(__file__).with_name("big_file_harbor.py")),
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--digest-cache-dir",
            str(work_dir / "digests"),
        ]
        self._stderr = (work_dir / "harbor.stderr").open("w")
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._stderr, text=True, cwd=bs.REPO_ROOT
        )
        lines = self._announcement()
        self.base_url = next(line[len(READY_PREFIX) :].strip() for line in lines if line.startswith(READY_PREFIX))
        credentials = dict(line.split(": ", 1) for line in lines if line.startswith(("username: ", "password: ")))
        self.api = bs.HarborApi(self.base_url, credentials["username"], credentials["password"])

    def _announcement(self) -> list[str]:
        """The start-up lines, up to the password one; read in a thread so a silent start times out."""
        found: queue.Queue[list[str]] = queue.Queue()

        def read() -> None:
            assert self.process.stdout is not None
            lines: list[str] = []
            for line in self.process.stdout:
                lines.append(line.rstrip("\n"))
                if line.startswith("password: "):
                    break
            found.put(lines)

        threading.Thread(target=read, daemon=True).start()
        try:
            lines = found.get(timeout=START_TIMEOUT_S)
        except queue.Empty:
            self.stop()
            raise RuntimeError(f"the reference Harbor did not start within {START_TIMEOUT_S:g} s") from None
        if not any(line.startswith(READY_PREFIX) for line in lines):
            raise RuntimeError("the reference Harbor exited at start (see its stderr)")
        return lines

    def small_url(self) -> str:
        return self.api.stream_url(SMALL_FILE_ID)

    def big_url(self) -> str:
        return self.api.stream_url(BIG_FILE_ID)

    def stop(self) -> None:
        self.api.close()
        super().stop()
        self._stderr.close()


NGINX_CONFIG = """\
daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    default_type application/octet-stream;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


class Nginx(Server):
    name = "nginx"

    def __init__(self, work_dir: Path, files: dict[str, GeneratedBody]) -> None:
        prefix, root = work_dir / "nginx", work_dir / "www"
        (prefix / "tmp").mkdir(parents=True)
        root.mkdir()
        for name, body in files.items():
            write_body(root / name, body)
        # nginx's worker drops root for `nobody`: let it read the files and walk the directories.
        for path in (work_dir, root, *root.iterdir()):
            path.chmod(0o755 if path.is_dir() else 0o644)
        port = free_port()
        config = prefix / "nginx.conf"
        config.write_text(NGINX_CONFIG.format(prefix=prefix, port=port, root=root))
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen(
            [nginx, "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        self.base_url = f"http://127.0.0.1:{port}"
        self._wait_until_serving(port)

    def _wait_until_serving(self, port: int) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("nginx exited at start")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nginx did not listen within {START_TIMEOUT_S:g} s")

    def small_url(self) -> str:
        return f"{self.base_url}/small.bin"

    def big_url(self) -> str:
        return f"{self.base_url}/big.bin"


def write_body(path: Path, body: GeneratedBody) -> None:
    with path.open("wb") as handle:
        for chunk in body.iter_range(0, body.size):
            handle.write(chunk)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- measuring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BigDownload:
    ttfb_ms: float
    seconds: float
    mib_s: float
    cpu_s: float
    rss_before_mib: float
    rss_peak_mib: float
    hwm_mib: float | None


def big_download(server: Server) -> BigDownload:
    url, pids = server.big_url(), server.pids()
    cpu_before = cpu_seconds(pids)
    with MemoryWatch(pids) as memory:
        timing = bs.curl(url)
    if timing.status != 200 or timing.size_bytes != BIG_FILE_SIZE:
        raise RuntimeError(f"{server.name}: got {timing.status} and {timing.size_bytes} bytes")
    seconds = timing.total_ms / 1000
    return BigDownload(
        timing.ttfb_ms,
        seconds,
        BIG_FILE_SIZE / MIB / seconds,
        cpu_seconds(pids) - cpu_before,
        memory.before_mib,
        memory.peak_mib,
        memory.hwm_mib,
    )


def first_byte_ms(url: str, *, stop_after_headers: bool) -> float:
    timing = bs.curl(url, *(bs.CURL_STOP_AFTER_HEADERS if stop_after_headers else ()))
    if timing.status != 200:
        raise RuntimeError(f"curl got {timing.status}")
    return timing.ttfb_ms


Measured = TypeVar("Measured")


def interleaved(
    servers: list[Server], count: int, budget: bs.TimeBudget, measure: Callable[[Server], Measured]
) -> Iterator[tuple[Server, Measured]]:
    """`count` measurements per server, alternating servers (and which goes first) each round."""
    for number in range(count):
        if budget.spent:
            return
        ordered = servers if number % 2 == 0 else servers[::-1]
        for server in ordered:
            yield server, measure(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 big downloads and 5 TTFB pairs per server")
    parser.add_argument("--downloads", type=int, default=None, help="1 GiB downloads per server (default 8, quick 2)")
    parser.add_argument(
        "--ttfb-pairs", type=int, default=None, help="small/big TTFB pairs per server (default 30, quick 5)"
    )
    parser.add_argument(
        "--max-seconds", type=float, default=None, help="stop measuring after this long (default 240, quick 60)"
    )
    args = parser.parse_args()
    downloads = args.downloads or (2 if args.quick else 8)
    pairs = args.ttfb_pairs or (5 if args.quick else 30)
    budget = bs.TimeBudget(args.max_seconds or (60.0 if args.quick else 240.0))
    bs.print_machine()
    print(
        f"# curl {subprocess.run(['curl', '--version'], capture_output=True, text=True).stdout.split()[1]}, "
        f"{subprocess.run(['nginx', '-v'], capture_output=True, text=True).stderr.strip()}"
    )

    big: dict[str, list[BigDownload]] = {}
    ttfb: dict[tuple[str, str], list[float]] = {}
    with tempfile.TemporaryDirectory(prefix="harbor-bench-") as temporary:
        work_dir = Path(temporary)
        servers: list[Server] = []
        try:
            small_body = GeneratedBody(file_seed(SMALL_FILE_ID, "harbor-tools-2.0.0.tar.gz"), SMALL_FILE_SIZE)
            servers.append(ReferenceHarbor(work_dir))
            servers.append(Nginx(work_dir, {"small.bin": small_body, "big.bin": big_file_body()}))
            for server in servers:  # warm-up: page cache, the Harbor's first stream, curl itself
                big_download(server)
            for server, result in interleaved(servers, downloads, budget, big_download):
                big.setdefault(server.name, []).append(result)

            def ttfb_pair(server: Server) -> tuple[float, float]:
                return (
                    first_byte_ms(server.small_url(), stop_after_headers=False),
                    first_byte_ms(server.big_url(), stop_after_headers=True),
                )

            for server, (small_ms, big_ms) in interleaved(servers, pairs, budget, ttfb_pair):
                ttfb.setdefault((server.name, "small"), []).append(small_ms)
                ttfb.setdefault((server.name, "big"), []).append(big_ms)
        finally:
            for server in servers:
                server.stop()
    bs.print_load("at end")
    report(big, ttfb)


def report(big: dict[str, list[BigDownload]], ttfb: dict[tuple[str, str], list[float]]) -> None:
    rows = []
    for name, runs in big.items():
        hwm = [run.hwm_mib for run in runs if run.hwm_mib is not None]
        rows.append(
            [
                name,
                str(len(runs)),
                bs.fmt(bs.Summary.of([run.mib_s for run in runs]).median, 0),
                bs.fmt(min(run.mib_s for run in runs), 0),
                bs.fmt(bs.Summary.of([run.ttfb_ms for run in runs]).median, 2),
                bs.fmt(bs.Summary.of([run.cpu_s for run in runs]).median, 2),
                bs.fmt(bs.Summary.of([run.rss_before_mib for run in runs]).median),
                bs.fmt(max(run.rss_peak_mib for run in runs)),
                bs.fmt(max(hwm)) if hwm else "-",
                bs.fmt(max(run.rss_peak_mib - run.rss_before_mib for run in runs)),
            ]
        )
    bs.print_table(
        "1 GiB download (curl to /dev/null)",
        [
            "server",
            "n",
            "MiB/s median",
            "MiB/s worst",
            "TTFB ms median",
            "server CPU s median",
            "RSS before MiB",
            "RSS peak MiB (sampled)",
            "VmHWM MiB",
            "RSS growth MiB (max)",
        ],
        rows,
    )
    rows = []
    for name in big:
        small, large = bs.Summary.of(ttfb.get((name, "small"), [])), bs.Summary.of(ttfb.get((name, "big"), []))
        rows.append(
            [
                name,
                str(small.n),
                bs.fmt(small.median, 2),
                bs.fmt(small.p95, 2),
                bs.fmt(large.median, 2),
                bs.fmt(large.p95, 2),
                bs.fmt(large.median / small.median, 2),
            ]
        )
    bs.print_table(
        "Time to first byte: 4 MiB file against 1 GiB file, ms",
        ["server", "n", "small median", "small p95", "1 GiB median", "1 GiB p95", "1 GiB / small (median)"],
        rows,
    )
    harbor, nginx = big.get("reference Harbor"), big.get("nginx")
    if not harbor or not nginx:
        return
    share = bs.Summary.of([r.mib_s for r in harbor]).median / bs.Summary.of([r.mib_s for r in nginx]).median
    growth_harbor = max(r.rss_peak_mib - r.rss_before_mib for r in harbor)
    growth_nginx = max(r.rss_peak_mib - r.rss_before_mib for r in nginx)
    bs.print_table(
        "Reference Harbor / nginx",
        [
            "throughput (median)",
            f"throughput >= {TARGET_THROUGHPUT_SHARE:.0%} of nginx",
            "TTFB 1 GiB (median)",
            "TTFB small (median)",
            "peak RSS",
            "RSS growth during download (MiB, Harbor vs nginx)",
        ],
        [
            [
                bs.fmt(share, 2),
                "yes" if share >= TARGET_THROUGHPUT_SHARE else "NO",
                bs.fmt(
                    bs.Summary.of(ttfb[("reference Harbor", "big")]).median
                    / bs.Summary.of(ttfb[("nginx", "big")]).median,
                    2,
                ),
                bs.fmt(
                    bs.Summary.of(ttfb[("reference Harbor", "small")]).median
                    / bs.Summary.of(ttfb[("nginx", "small")]).median,
                    2,
                ),
                bs.fmt(max(r.rss_peak_mib for r in harbor) / max(r.rss_peak_mib for r in nginx), 1),
                f"{growth_harbor:.1f} vs {growth_nginx:.1f}",
            ]
        ],
    )


if __name__ == "__main__":
    main()
