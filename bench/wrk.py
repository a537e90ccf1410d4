"""Throughput and latency with wrk (``apt-get install wrk``), or with Python threads without it.

wrk is a C program: on a 2-core machine it leaves far more of the CPU to the server than
Python threads do, so its figures are closer to what the server can do. Either way every
page is compared with the floor measured the same way in the same run.
"""

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass

from bench.load import Client, hammer

BROWSER_HEADERS = {"Accept-Encoding": "br, gzip"}


@dataclass
class Measure:
    label: str
    per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int

    def line(self, floor: "Measure | None" = None, target: float | None = None) -> str:
        ratio = ""
        if floor is not None:
            relative = self.per_second / floor.per_second
            verdict = "" if target is None else (" ok" if relative >= target else f" MISSES {target}×")
            ratio = f"  {relative:5.2f}× the floor{verdict}"
        return (
            f"{self.label:<44} {self.per_second:7.0f} req/s  p50 {self.p50_ms:6.1f} ms"
            f"  p99 {self.p99_ms:7.1f} ms  errors {self.errors}{ratio}"
        )


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    return float(found.group(1)) * _UNITS[found.group(2)] if found else float("nan")


def run_wrk(
    port: int, paths: list[str], connections: int, seconds: int, headers: dict, label: str
) -> Measure:
    """wrk on loopback for ``seconds``, cycling through ``paths``; bounded by its duration."""
    listed = ", ".join(f'"{path}"' for path in paths)
    script = (
        f"paths = {{{listed}}}\ni = 0\nrequest = function()\n  i = i + 1\n"
        '  return wrk.format("GET", paths[(i % #paths) + 1])\nend\n'
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua") as lua:
        lua.write(script)
        lua.flush()
        command = [
            "wrk",
            "-t",
            "2",
            "-c",
            str(connections),
            "-d",
            f"{seconds}s",
            "--latency",
            "--timeout",
            "10s",
        ]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        command += ["-s", lua.name, f"http://127.0.0.1:{port}{paths[0]}"]
        output = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60).stdout
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    per_second = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    if not requests:  # nothing answered in time: no latency figures to read
        return Measure(label, 0.0, float("nan"), float("nan"), connections, 0)
    p50 = _ms(re.search(r"50%\s+(\S+)", output).group(1))
    p99 = _ms(re.search(r"99%\s+(\S+)", output).group(1))
    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(found.group(1))
    if found := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        errors += sum(int(n) for n in found.groups())
    return Measure(label, per_second, p50, p99, errors, requests)


def run_threads(
    port: int, paths: list[str], connections: int, seconds: int, headers: dict, label: str
) -> Measure:
    """The same with Python threads (one keep-alive connection each), when wrk is missing."""
    clients = [Client(port) for _ in range(min(connections, 32))]
    cookie = headers.get("Cookie")
    for client in clients:
        if cookie:
            client.cookies.update(dict(part.split("=", 1) for part in cookie.split("; ")))
    results = [hammer(clients, path, max(len(clients) * 5, 100 * seconds // len(paths))) for path in paths]
    latencies = sorted(latency for result in results for latency in result.latencies_ms)
    total_seconds = sum(result.seconds for result in results)
    return Measure(
        label,
        len(latencies) / total_seconds,
        latencies[len(latencies) // 2],
        latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        sum(result.errors for result in results),
        len(latencies),
    )


def measure(port, paths, connections, seconds, headers, label) -> Measure:
    runner = run_wrk if have_wrk() else run_threads
    return runner(port, paths, connections, seconds, {**BROWSER_HEADERS, **headers}, label)
