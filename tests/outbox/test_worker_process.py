"""`flask notices worker` as a process: it delivers, and SIGTERM stops it cleanly."""

import os
import signal
import subprocess
import time
from pathlib import Path

from scheduler.models import Channel, DeliveryState, Role
from scheduler.outbox.messages import Message
from tests.conftest import python_module_command

ROOT = Path(__file__).resolve().parents[2]


def test_the_worker_delivers_and_stops_on_sigterm(
    app, database_url, station, make_user, peer, set_channels, choose, tell, deliveries
):
    set_channels(station, wecom_webhook=f"{peer.url}/w")
    choose(volunteer := make_user(Role.VOLUNTEER), by_wecom=True)
    tell(volunteer, Message("e", "第一条", ref=1))
    environment = {**os.environ, "SCHEDULER_ENV": "testing", "TEST_DATABASE_URL": database_url}
    worker = subprocess.Popen(
        python_module_command("flask", "--app", "wsgi", "notices", "worker", "--sleep", "0.2"),
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not peer.received and time.monotonic() < deadline:
            time.sleep(0.1)
        tell(volunteer, Message("e", "第二条", ref=2))  # queued while the worker runs
        while len(peer.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == 0, output
    assert "notices worker: started" in output and "notices worker: stopped" in output
    assert [r.json["text"]["content"].split("\n")[0] for r in peer.received] == ["第一条", "第二条"]
    assert {d.state for d in deliveries(Channel.WECOM)} == {DeliveryState.SENT}
