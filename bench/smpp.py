"""SMPP throughput benchmark: our client against the loopback SMSC (issue 4 §7).

    .venv/bin/python bench/smpp.py [--messages 20000] [--latency-ms 0,5] [--quick]

The SMSC (`python -m sqm.notify.smsc`) runs in its own process on 127.0.0.1, answering every
submit_sm after `--latency-ms` (0: at once; 5: a modest network round trip and SMSC
processing time, as against an operator's SMSC). For each latency the same number of
single-part Chinese fault notices (UCS-2) is submitted through `SmppClient.send` with a
window of 10 and with a window of 1 (the baseline: one request at a time, as smpplib's own
`Client` sends), no rate limit, receipts not requested. Printed: messages/s for each, and
the speed-up. Target: ≥ 1,000 messages/s with a window of 10.

With --latency-ms above 0 the window-1 run is capped at `--baseline-messages` (default
2,000): at 5 ms a message it would otherwise take minutes.

Then, end to end (`--outbox N`, default 5,000; 0 skips it): a fresh SQLite instance with N
due messages, `sqm sms send --once` against the SMSC (answering at once, receipts after
10 ms, transceiver bind, no rate limit), with SQM_SMPP_WINDOW=10 and =1. Printed: messages/s
from the first to the last submit_sm the SMSC received (each message taken from the
database, submitted, and its result written back), and whether every message ended
`delivered`. Figures are wall-clock on this machine; the load average is printed with them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqm.notify.smpp import Outgoing, SmppClient, SmppConfig  # noqa: E402

TEXT = "尊敬的客户：您所在区域宽带网络因光缆故障中断，正在全力抢修，预计18:00前恢复。【中国移动】"


def start_smsc(latency_ms: float, *options: str) -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sqm.notify.smsc",
            "--port",
            "0",
            "--latency-ms",
            str(latency_ms),
            *(options or ("--no-receipts",)),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = process.stdout.readline()  # "SMSC listening on 127.0.0.1:PORT"
    return process, int(line.rsplit(":", 1)[1])


def run(port: int, window: int, count: int) -> float:
    """Messages per second for COUNT messages through one bind with WINDOW."""
    client = SmppClient(
        SmppConfig(
            "127.0.0.1",
            port,
            system_id="bench",
            source_addr="10086",
            bind="transmitter",
            window=window,
            rate=0,
            registered_delivery=False,
        )
    )
    client.open()
    queue = [Outgoing(ref=i, mobile=f"139{i:08d}", text=TEXT) for i in range(count)]
    position = 0
    answered = 0

    def feed(n: int) -> list[Outgoing]:
        nonlocal position
        batch = queue[position : position + n]
        position += len(batch)
        return batch

    def done(results) -> None:
        nonlocal answered
        answered += sum(1 for r in results if r.ok)

    started = time.perf_counter()
    client.send(feed, done)
    elapsed = time.perf_counter() - started
    client.close()
    assert answered == count, f"{answered} of {count} answered"
    assert client.stats.max_outstanding <= window
    return count / elapsed


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQM_")}
    env.update(SQM_HOME=str(home), PYTHONPATH=str(ROOT), **extra)
    return env


def outbox(template: Path, count: int, window: int) -> tuple[float, dict]:
    """(messages/s at the SMSC, the command's summary) for COUNT due messages sent by
    `sqm sms send --once` on a copy of the migrated instance TEMPLATE."""
    home = Path(tempfile.mkdtemp(prefix="sqm-bench-smpp-")) / "home"
    shutil.copytree(template, home)
    record = home / "smsc.jsonl"
    try:
        subprocess.run(
            [sys.executable, "-m", "tests.notify.seed_outbox", str(count)],
            cwd=ROOT,
            env=environment(home),
            check=True,
        )
        smsc, port = start_smsc(0, "--receipt-delay-ms", "10", "--record", str(record))
        try:
            env = environment(
                home,
                SQM_SMS_BACKEND="smpp",
                SQM_SMPP_PORT=str(port),
                SQM_SMPP_WINDOW=str(window),
                SQM_SMPP_RATE="0",
                SQM_SMPP_BIND="transceiver",
            )
            done = subprocess.run(
                [sys.executable, "-m", "sqm.cli", "sms", "send", "--once", "--any-time"]
                + ["--json", "--receipt-wait", "60"],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
        finally:
            smsc.terminate()
            smsc.wait(timeout=10)
        summary = json.loads(done.stdout.strip().splitlines()[-1])
        times = [json.loads(line)["received"] for line in record.read_text().splitlines()]
        with sqlite3.connect(home / "sqm.sqlite3") as db:
            summary["states"] = dict(
                db.execute("SELECT state, COUNT(*) FROM notify_outboundmessage GROUP BY state")
            )
        return (len(times) - 1) / (max(times) - min(times)), summary
    finally:
        shutil.rmtree(home.parent, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--baseline-messages", type=int, default=2000)
    parser.add_argument("--latency-ms", default="0,5", help="comma separated, e.g. 0,5")
    parser.add_argument("--window", type=int, default=10)
    parser.add_argument("--outbox", type=int, default=5000, metavar="N", help="0 skips it")
    parser.add_argument("--quick", action="store_true", help="1,000 messages (smoke runs)")
    args = parser.parse_args(argv)
    if args.quick:
        args.messages, args.baseline_messages, args.outbox = 1000, 200, min(args.outbox, 300)
    latencies = [float(x) for x in args.latency_ms.split(",") if x.strip()]

    print(f"SMPP throughput, loopback SMSC in its own process; load average {os.getloadavg()}")
    print(f"{len(TEXT)}-character Chinese notice, 1 UCS-2 part each, no rate limit\n")
    for latency in latencies:
        smsc, port = start_smsc(latency)
        try:
            windowed = run(port, args.window, args.messages)
            count = args.messages if latency == 0 else min(args.messages, args.baseline_messages)
            baseline = run(port, 1, count)
        finally:
            smsc.terminate()
            smsc.wait(timeout=10)
        verdict = "meets" if windowed >= 1000 else "MISSES"
        print(f"SMSC answering after {latency:g} ms:")
        print(
            f"  window {args.window:>2}: {windowed:8,.0f} messages/s "
            f"({args.messages:,} messages; {verdict} the 1,000/s target)"
        )
        print(f"  window  1: {baseline:8,.0f} messages/s ({count:,} messages; baseline)")
        print(f"  speed-up : {windowed / baseline:8.1f}x\n")

    if args.outbox:
        print(f"End to end: sqm sms send --once, {args.outbox:,} due messages, SQLite, receipts")
        rates = {}
        template = Path(tempfile.mkdtemp(prefix="sqm-bench-smpp-home-"))
        try:
            subprocess.run(
                [sys.executable, "-m", "sqm.cli", "migrate", "-v0"],
                cwd=ROOT,
                env=environment(template),
                check=True,
            )
            runs = {window: outbox(template, args.outbox, window) for window in (args.window, 1)}
        finally:
            shutil.rmtree(template, ignore_errors=True)
        for window, (rate, summary) in runs.items():
            rates[window] = rate
            states = ", ".join(f"{n:,} {state}" for state, n in sorted(summary["states"].items()))
            print(f"  window {window:>2}: {rates[window]:8,.0f} messages/s ({states})")
        print(f"  speed-up : {rates[args.window] / rates[1]:8.1f}x")


if __name__ == "__main__":
    main()
