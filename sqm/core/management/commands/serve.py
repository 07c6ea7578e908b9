"""`sqm serve`: the web server (gunicorn) and the background worker (Huey) together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from sqm.core.commands import BaseCommand


def _sqm(*args: str) -> list[str]:
    return [sys.executable, "-m", "sqm.cli", *args]


class Command(BaseCommand):
    help = (
        "Serve the platform: gunicorn for the web and a Huey consumer for background and "
        "periodic jobs, stopped together with Ctrl-C. For larger deployments run them "
        "separately (docs/operations.md)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--host", default=os.environ.get("SQM_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("SQM_PORT", 8000)))
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--job-workers", type=int, default=2)
        parser.add_argument(
            "--no-worker", action="store_true", help="web only (workers run elsewhere)"
        )

    def handle(
        self,
        *args,
        host: str,
        port: int,
        web_workers: int,
        job_workers: int,
        no_worker: bool,
        **options,
    ) -> None:
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "sqm.wsgi:application",
                    "--bind",
                    f"{host}:{port}",
                    "--workers",
                    str(web_workers),
                    "--access-logfile",
                    "-",
                    # Masks mobile and ID numbers in every access and error line.
                    "--logger-class",
                    "sqm.core.logmask.GunicornLogger",
                    "--timeout",
                    "120",
                ]
            )
        ]
        if not no_worker:
            processes.append(
                subprocess.Popen(
                    _sqm("run_huey", "--workers", str(job_workers), "--worker-type", "thread")
                )
            )
        self.stdout.write(f"SQM serving on http://{host}:{port}/ (Ctrl-C to stop)")
        stopping = False

        def stop(*_args) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while not stopping and all(p.poll() is None for p in processes):
                time.sleep(0.5)
        finally:
            for p in processes:
                if p.poll() is None:
                    p.terminate()
            for p in processes:
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
        failed = [p.returncode for p in processes if p.returncode not in (0, None, -15)]
        if failed and not stopping:
            sys.exit(1)
