"""Crash safety and concurrent senders, as operators run them: `sqm sms send` in its own
process on a SQLite file database, talking SMPP to the loopback SMSC of this test.

The sender takes at most its window of messages (`sending`) at a time and writes them to the
SMSC only after that is committed; killed with SIGKILL mid-batch, it leaves at most the
window `sending`. The next start puts those back and counts them: they are the only
messages that can reach the SMSC twice."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.notify.seed_outbox import mobile

# One migrated instance serves the module (with --dist loadgroup, on one worker).
pytestmark = pytest.mark.xdist_group("notify-subprocess")

ROOT = Path(__file__).resolve().parents[2]
WINDOW = 10
COUNT = 300


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQM_")}
    env.update(SQM_HOME=str(home), LANGUAGE="en", PYTHONPATH=str(ROOT))
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def migrated_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("sms-home")
    done = subprocess.run(
        [sys.executable, "-m", "sqm.cli", "migrate", "-v0"],
        cwd=ROOT,
        env=environment(home),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return home


@pytest.fixture
def home(migrated_home: Path, tmp_path: Path) -> Path:
    """A fresh instance with COUNT due messages."""
    home = tmp_path / "home"
    shutil.copytree(migrated_home, home)
    done = subprocess.run(
        [sys.executable, "-m", "tests.notify.seed_outbox", str(COUNT)],
        cwd=ROOT,
        env=environment(home),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return home


def start_sender(
    home: Path, port: int, *args: str, rate: int = 100, once: bool = True
) -> subprocess.Popen:
    options = ["--once"] if once else ["--idle", "0.05"]
    return subprocess.Popen(
        [sys.executable, "-m", "sqm.cli", "sms", "send", *options, "--any-time", "--json", *args],
        cwd=ROOT,
        env=environment(
            home,
            SQM_SMS_BACKEND="smpp",
            SQM_SMPP_PORT=str(port),
            SQM_SMPP_WINDOW=str(WINDOW),
            SQM_SMPP_RATE=str(rate),
            SQM_SMPP_BIND="transmitter",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def summary_of(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def states(home: Path) -> dict[str, str]:
    with sqlite3.connect(home / "sqm.sqlite3") as db:
        return dict(db.execute("SELECT key, state FROM notify_outboundmessage"))


def test_a_sender_killed_mid_batch_loses_nothing_and_sends_at_most_its_window_twice(
    home, smsc_factory
):
    # The SMSC answers after 50 ms, so at 100 messages/s about 5 are in flight at any time.
    # 300 messages: about 3 s of sending; the sender is killed after 100 reached the SMSC.
    smsc = smsc_factory(receipts=False, latency=0.05)
    first = start_sender(home, smsc.port)
    assert smsc.wait_for(lambda s: s.submit_count >= 100 or first.poll() is not None, 60)
    first.kill()
    first.wait()
    assert first.returncode == -9

    at_crash = states(home)
    in_flight = {key for key, state in at_crash.items() if state == "sending"}
    counts = Counter(at_crash.values())
    assert len(in_flight) <= WINDOW
    assert counts["scheduled"] > 0 and counts["sent"] > 0  # killed mid-batch
    assert counts["sent"] + counts["sending"] + counts["scheduled"] == COUNT

    summary = summary_of(start_sender(home, smsc.port, "--stale-after", "0"))

    # Every message ends sent; none is lost.
    assert Counter(states(home).values()) == {"sent": COUNT}
    received = Counter(part.destination for part in smsc.received())
    assert set(received) == {mobile(i) for i in range(COUNT)}
    # Each reached the SMSC at most twice; the twice-sent ones are among those the restart
    # found in flight and counted (equal, unless the kill fell between taking a message and
    # writing it to the socket: then the count is one or two above), at most the window.
    assert max(received.values()) <= 2
    duplicated = {number for number, times in received.items() if times == 2}
    assert summary["requeued"] == len(in_flight) == len(summary["requeued_keys"])
    assert set(summary["requeued_keys"]) == in_flight
    assert duplicated <= {mobile(int(key.removeprefix("sms-"))) for key in in_flight}
    assert 1 <= len(duplicated) <= summary["requeued"] <= WINDOW
    assert sum(received.values()) == COUNT + len(duplicated)
    assert summary["sent"] == counts["scheduled"] + counts["sending"]


def test_two_senders_at_once_never_send_the_same_message(home, smsc_factory):
    smsc = smsc_factory(receipts=False, latency=0.002)
    senders = [start_sender(home, smsc.port, rate=200) for _ in range(2)]
    summaries = [summary_of(process) for process in senders]

    assert sum(s["taken"] for s in summaries) == COUNT
    assert sum(s["sent"] for s in summaries) == COUNT
    assert Counter(states(home).values()) == {"sent": COUNT}
    received = Counter(part.destination for part in smsc.received())
    assert len(received) == COUNT and set(received.values()) == {1}
    assert len(smsc.binds) == 2


def test_a_running_sender_finishes_what_is_in_flight_and_exits_on_sigterm(home, smsc_factory):
    smsc = smsc_factory(receipts=False)
    process = start_sender(home, smsc.port, rate=1000, once=False)
    assert smsc.wait_for(lambda s: s.submit_count >= COUNT, 60)
    process.send_signal(signal.SIGTERM)
    summary = summary_of(process)
    assert summary["sent"] == COUNT
    assert Counter(states(home).values()) == {"sent": COUNT}
