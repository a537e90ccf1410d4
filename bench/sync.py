"""What ``PRAGMA synchronous = FULL`` would cost over NORMAL, in WAL mode, on this disk.

    .venv/bin/python -m bench.sync                      # 2,000 write transactions each way
    .venv/bin/python -m bench.sync --transactions 5000 --dir /var/lib/scheduler

Each transaction is what a small write request does: BEGIN IMMEDIATE, insert one row of
about the size of a task event, update one row, COMMIT. NORMAL syncs the WAL only at
checkpoints, so a power cut can lose the last transactions (a crashed process loses
nothing); FULL syncs the WAL at every commit. Run it on the disk the database lives on
(``--dir``): the gap is the price of one fsync per commit there.
"""

import argparse
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path


def run(directory: Path, synchronous: str, transactions: int) -> list[float]:
    path = directory / f"sync-{synchronous.lower()}.sqlite3"
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode = WAL")
    connection.execute(f"PRAGMA synchronous = {synchronous}")
    connection.execute("CREATE TABLE event (id INTEGER PRIMARY KEY, task_id INTEGER, note TEXT, at TEXT)")
    connection.execute("CREATE TABLE task (id INTEGER PRIMARY KEY, state TEXT)")
    connection.execute("INSERT INTO task (id, state) VALUES (1, 'open')")
    timings = []
    for number in range(transactions):
        started = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            "INSERT INTO event (task_id, note, at) VALUES (1, ?, datetime('now'))", ("visit done " * 20,)
        )
        connection.execute("UPDATE task SET state = ? WHERE id = 1", (str(number),))
        connection.execute("COMMIT")
        timings.append(time.perf_counter() - started)
    connection.close()
    for leftover in directory.glob(f"{path.name}*"):
        leftover.unlink()
    return timings


def summary(timings: list[float]) -> str:
    milliseconds = sorted(t * 1000 for t in timings)
    p95 = milliseconds[int(len(milliseconds) * 0.95)]
    return (
        f"{len(timings) / sum(timings):8.0f} commits/s   mean {statistics.mean(milliseconds):6.3f} ms"
        f"   p50 {statistics.median(milliseconds):6.3f} ms   p95 {p95:6.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--transactions", type=int, default=2000)
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: instance/)")
    args = parser.parse_args()
    directory = args.dir or Path(__file__).resolve().parent.parent / "instance"
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        results = {mode: run(Path(scratch), mode, args.transactions) for mode in ("NORMAL", "FULL")}
    for mode, timings in results.items():
        print(f"synchronous={mode:<6} {summary(timings)}")
    normal, full = (statistics.mean(results[mode]) for mode in ("NORMAL", "FULL"))
    print(f"FULL costs {1000 * (full - normal):.3f} ms more per write transaction ({full / normal:.1f}x).")


if __name__ == "__main__":
    main()
