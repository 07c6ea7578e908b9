"""A large upload does not stall the site on the embedded database (issue 11 §5).

A real `sqm serve` (gunicorn and the Huey worker) on a fresh SQM_HOME with its file SQLite
database in WAL mode: an in-memory test database could not show lock contention. One user
uploads 20,000 customers; meanwhile another keeps opening pages and saving a form, and every
answer is a success while the worker checks and writes the file.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.core.test_imports import CUSTOMER_HEADER, write_csv
from tests.core.test_uploads import customer_rows

CUSTOMERS = 20_000
SETUP = """
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.contrib.auth.models import Group
from sqm.core.models import User
from sqm.core.roles import ROLES, group_name
role = next(r for r in ROLES if r.code == "quality_manager")
for name in ("uploader", "reader"):
    user = User.objects.create_user(username=name, password="Pa55-word-long", all_cities=True)
    user.groups.add(Group.objects.get(name=group_name(role)))
"""


def sqm(home: Path, *args: str, **kwargs) -> subprocess.Popen | subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SQM_")}
    env.update(SQM_HOME=str(home))
    command = [sys.executable, "-m", "sqm.cli", *args]
    if kwargs.pop("background", False):
        return subprocess.Popen(command, env=env, **kwargs)
    return subprocess.run(command, env=env, capture_output=True, text=True, check=True, **kwargs)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_in(base: str, username: str) -> requests.Session:
    session = requests.Session()
    session.cookies.set("django_language", "en")  # the summary line is matched in English
    page = session.get(f"{base}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{base}/accounts/login/",
        data={"username": username, "password": "Pa55-word-long", "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/accounts/login/"},
        timeout=30,
    )
    assert answer.url.rstrip("/") == base, "log-in failed"
    return session


def csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=60)
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


@pytest.fixture
def server(tmp_path):
    home = tmp_path / "home"
    sqm(home, "shell", "-c", SETUP)  # one process: migrate and the two users
    customers = tmp_path / "customers.csv"
    write_csv(customers, CUSTOMER_HEADER, customer_rows(CUSTOMERS))
    port = free_port()
    process = sqm(home, "serve", "--port", str(port), background=True,
                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                requests.get(f"{base}/accounts/login/", timeout=20)
                break
            except requests.RequestException:
                time.sleep(0.1)
        yield base, customers
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def test_pages_answer_while_a_large_upload_is_imported(server):
    base, customers = server
    uploader, reader = log_in(base, "uploader"), log_in(base, "reader")
    answers: list[tuple[str, int, bool]] = []
    stop = threading.Event()

    def keep_using_pages() -> None:
        pages = ["/", "/core/imports/", "/customers/", "/core/notifications/"]
        while not stop.is_set():
            for path in pages:
                page = reader.get(base + path, timeout=60)
                answers.append((path, page.status_code, "database is locked" in page.text))
            # A write as well: marking notifications read saves a form (waits for the lock).
            token = reader.cookies.get("csrftoken")
            page = reader.post(f"{base}/core/notifications/", data={"csrfmiddlewaretoken": token},
                               headers={"Referer": base}, timeout=60,
                               allow_redirects=False)  # fmt: skip
            answers.append(("POST notifications", page.status_code, "locked" in page.text))

    token = csrf(uploader, f"{base}/core/imports/")
    thread = threading.Thread(target=keep_using_pages)
    thread.start()
    try:
        with customers.open("rb") as handle:
            sent = uploader.post(
                f"{base}/core/imports/",
                data={"kind": "customers", "csrfmiddlewaretoken": token},
                files={"file": ("customers.csv", handle, "text/csv")},
                headers={"Referer": f"{base}/core/imports/"},
                allow_redirects=False,
                timeout=60,
            )
        assert sent.status_code == 302, sent.text[:500]
        job = base + sent.headers["Location"]
        status = ""
        for _ in range(900):  # the worker's job, polled as the page does
            status = uploader.get(job, timeout=60).text
            if "rows read, " in status:  # finished: the summary line replaces the progress
                break
            time.sleep(0.1)
        during = len(answers)
    finally:
        stop.set()
        thread.join(timeout=120)
    assert f"{CUSTOMERS} rows read, {CUSTOMERS} created" in status
    assert during >= 5  # the other user really was using the site meanwhile
    # Pages answer 200, the form's POST redirects (302); none says the database is locked.
    expected = {path: 302 if path.startswith("POST") else 200 for path, _s, _l in answers}
    assert [a for a in answers if a[1] != expected[a[0]] or a[2]] == []
