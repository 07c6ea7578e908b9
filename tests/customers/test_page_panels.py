"""Panels other apps contribute to the customer and account pages: the customer side renders
what is registered (it imports no complaint code), and the complaint side contributes the
fault pre-processing panel."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sqm.customers import page_panels
from sqm.customers.page_panels import CustomerPanel, customer_panels, register_customer_panel
from tests.factories import AccountFactory, CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel_templates(settings, tmp_path):
    """Two small panel templates of a pretend app, found before the project's own."""
    (tmp_path / "pretend").mkdir()
    (tmp_path / "pretend" / "first.html").write_text(
        '<section id="first-panel">{{ word }} {{ customer.customer_id }} {{ accounts|length }}'
        "</section>"
    )
    (tmp_path / "pretend" / "hidden.html").write_text('<section id="hidden-panel"></section>')
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path, *engine.get("DIRS", [])]}]


@pytest.fixture
def pretend_panels(monkeypatch, panel_templates):
    """A pretend app's panels, registered as its ready() would, removed after the test."""
    monkeypatch.setattr(page_panels, "_panels", dict(page_panels._panels))
    register_customer_panel(
        CustomerPanel(
            "first",
            "pretend/first.html",
            lambda user, customer, accounts: {"word": f"for-{user.username}"},
            order=1,
            stylesheets=("pretend/first.css",),
        )
    )
    register_customer_panel(
        CustomerPanel("hidden", "pretend/hidden.html", lambda *args: None, order=2)
    )


def test_a_panel_another_app_registers_shows_on_the_customer_page_after_the_personal_data(
    client, agent, pretend_panels
):
    customer = CustomerFactory(customer_id="C-PANEL")
    AccountFactory(customer=customer)
    AccountFactory(customer=customer)
    client.force_login(agent)

    html = client.get(reverse("customers:customer", args=[customer.pk])).content.decode()

    assert '<section id="first-panel">for-' + agent.username + " C-PANEL 2</section>" in html
    assert 'href="/static/pretend/first.css"' in html.split("</head>")[0]
    assert html.index('id="pii"') < html.index('id="first-panel"') < html.index("<h2>")
    assert 'id="hidden-panel"' not in html  # its build said None: nothing to show


def test_an_account_page_shows_the_panels_for_that_account_alone(client, agent, pretend_panels):
    account = AccountFactory(customer=CustomerFactory(customer_id="C-ACC"))
    AccountFactory(customer=account.customer)
    client.force_login(agent)

    html = client.get(reverse("customers:account", args=[account.pk])).content.decode()

    assert f"for-{agent.username} C-ACC 1</section>" in html
    assert 'id="hidden-panel"' not in html


def test_the_reveal_fragment_carries_no_panels(client, agent, pretend_panels):
    customer = CustomerFactory()
    client.force_login(agent)

    response = client.post(
        reverse("customers:customer", args=[customer.pk]),
        {"reason": "回访工单 WO-7 核对联系方式"},
        headers={"HX-Request": "true"},
    )

    assert response.status_code == 200
    assert 'id="first-panel"' not in response.content.decode()


def test_the_complaint_side_contributes_the_pre_processing_panel():
    [panel] = [p for p in customer_panels() if p.key == "preprocessing"]
    assert panel.template == "complaints/_preprocessing.html"
    assert panel.build.__module__ == "sqm.complaints.customer_panels"
    assert "complaints/preprocessing.css" in panel.stylesheets
