"""A topology import holds the write lock only for a few set-based statements (issue 11 §5).

Its ONUs point at OLTs, boards and PON ports the same file creates. These are staged too,
by natural key (OLT ID; OLT, frame, slot; …, port), and the write transaction resolves the
ids in SQL after writing the parents: the same statements for 5 ONUs as for 45.
"""

from __future__ import annotations

import pytest

import sqm.network.importers
from sqm.core.importing import run_import
from sqm.core.models import ChangeLogEntry
from sqm.network.models import Board, Olt, Onu, PonPort
from tests.core.test_import_staging import import_counting, small_batches  # noqa: F401
from tests.core.test_imports import TOPOLOGY, TOPOLOGY_HEADER, write_csv


def rows(olt: str, count: int) -> list[list[str]]:
    """COUNT ONUs of a new OLT, spread over its boards and ports."""
    return [
        [olt, f"{olt}名", "10.0.0.9", "华为", "南京", "玄武区", "0", str(i % 3), str(i % 4),
         f"{olt}-ONU-{i}"]
        for i in range(count)
    ]  # fmt: skip


@pytest.mark.django_db
def test_the_write_transaction_runs_as_many_statements_for_45_onus_as_for_5(
    tmp_path,
    small_batches,  # noqa: F811
):
    run_import("topology", write_csv(tmp_path / "t.csv", TOPOLOGY_HEADER, TOPOLOGY))
    _r, small = import_counting(
        "topology", write_csv(tmp_path / "a.csv", TOPOLOGY_HEADER, rows("OLT-A", 5))
    )
    many = rows("OLT-B", 25) + rows("OLT-C", 20)
    result, large = import_counting(
        "topology", write_csv(tmp_path / "b.csv", TOPOLOGY_HEADER, many)
    )
    assert result.created == 45 and Onu.objects.count() == 53
    assert large.statements == small.statements  # O(1), not one INSERT per batch or row
    assert large.rows == small.rows
    assert Board.objects.filter(olt__olt_id="OLT-B").count() == 3
    assert PonPort.objects.filter(olt__olt_id="OLT-C").count() == 12
    onu = Onu.objects.select_related("pon_port__board__olt").get(onu_id="OLT-C-ONU-7")
    assert (onu.frame, onu.slot, onu.port) == (0, 1, 3) and onu.olt.olt_id == "OLT-C"
    assert onu.pon_port.board.olt == onu.olt and (onu.pon_port.slot, onu.pon_port.port) == (1, 3)
    assert (onu.pon_port.board.frame, onu.pon_port.board.slot) == (0, 1)
    created = ChangeLogEntry.objects.get(
        action="create", object_id=str(onu.pk), object_repr=onu.onu_id
    )
    assert created.after["olt"] == onu.olt_id and created.after["pon_port"] == onu.pon_port_id
    port = ChangeLogEntry.objects.get(action="create", object_id=str(onu.pon_port_id),
                                      content_type__model="ponport")  # fmt: skip
    assert port.after["board"] == onu.pon_port.board_id and port.object_repr == "OLT-C 0/1/3"
    assert ChangeLogEntry.objects.filter(content_type__model="olt", action="create").count() == 4


@pytest.mark.django_db
def test_an_onu_moved_to_a_new_olt_is_updated_and_logged_with_its_new_port(tmp_path):
    run_import("topology", write_csv(tmp_path / "t.csv", TOPOLOGY_HEADER, TOPOLOGY))
    old = Onu.objects.get(onu_id="ONU-2")
    moved = [list(r) for r in TOPOLOGY]
    moved[1][:6] = ["OLT-NJ-2", "鼓楼OLT01", "10.0.0.2", "中兴", "南京", "鼓楼区"]
    moved[0][2] = moved[2][2] = "10.0.0.7"  # the first OLT's address changes too
    result = run_import("topology", write_csv(tmp_path / "m.csv", TOPOLOGY_HEADER, moved))
    assert result.ok and (result.created, result.updated) == (0, 3)
    onu = Onu.objects.select_related("pon_port").get(onu_id="ONU-2")
    assert onu.pk == old.pk and onu.olt.olt_id == "OLT-NJ-2" and onu.pon_port.olt == onu.olt
    change = ChangeLogEntry.objects.get(action="update", object_id=str(onu.pk),
                                        content_type__model="onu")  # fmt: skip
    assert change.before["pon_port"] == old.pon_port_id
    assert change.after["pon_port"] == onu.pon_port_id != old.pon_port_id
    assert Olt.objects.get(olt_id="OLT-NJ-1").ip == "10.0.0.7"
    assert ChangeLogEntry.objects.filter(action="update", content_type__model="onu").count() == 1


@pytest.mark.django_db
def test_an_olt_created_between_staging_and_writing_leaves_one_olt_and_all_onus(
    tmp_path, monkeypatch
):
    """The OLT stage drifted: nothing of the stages
    stays written, the spooled rows are written the plain way, in the same transaction."""
    importer = sqm.network.importers.TopologyImporter
    begin = importer.begin

    def begin_after_another_writer(self):
        monkeypatch.setattr(importer, "begin", begin)
        run_import("topology", write_csv(tmp_path / "one.csv", TOPOLOGY_HEADER, TOPOLOGY[2:]))
        begin(self)

    monkeypatch.setattr(importer, "begin", begin_after_another_writer)
    result = run_import("topology", write_csv(tmp_path / "t.csv", TOPOLOGY_HEADER, TOPOLOGY))
    assert result.ok and (result.created, result.updated) == (2, 0)  # ONU-3 as it was
    assert Olt.objects.count() == 1 and Board.objects.count() == 2 and PonPort.objects.count() == 2
    assert Onu.objects.count() == 3
