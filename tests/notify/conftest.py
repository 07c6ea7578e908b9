"""Fixtures of the SMS delivery tests: a real SMSC on loopback (sqm.notify.smsc)."""

from __future__ import annotations

import pytest

from sqm.notify.smpp import SmppClient, SmppConfig
from sqm.notify.smsc import Smsc


@pytest.fixture
def smsc_factory():
    """start(**options) → a running Smsc on 127.0.0.1 and a free port; stopped afterwards."""
    started: list[Smsc] = []

    def start(**options) -> Smsc:
        server = Smsc(**options).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def smsc(smsc_factory) -> Smsc:
    return smsc_factory()


@pytest.fixture
def client_factory():
    """connect(smsc, **config) → an open SmppClient; closed afterwards."""
    clients: list[SmppClient] = []

    def connect(server: Smsc, **config) -> SmppClient:
        options = {"rate": 0, "backoff_initial": 0.01, "backoff_max": 0.05, "source_addr": "10086"}
        options.update(config)
        client = SmppClient(SmppConfig("127.0.0.1", server.port, **options))
        client.open()
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()
