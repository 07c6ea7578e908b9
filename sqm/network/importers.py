"""Importer for topology.csv: one row per ONU; OLTs, boards and PON ports follow from it."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sqm.core import changelog
from sqm.core.bulk import BulkInserter, log_bulk_creates
from sqm.core.formats import TOPOLOGY_COLUMNS
from sqm.core.importing import Importer, register
from sqm.core.importing import fields as f
from sqm.core.importing.base import RowInvalid
from sqm.core.importing.staging import Stage, StageGroup
from sqm.network.models import Board, Olt, Onu, PonPort


@register
class TopologyImporter(Importer):
    kind = "topology"
    label = gettext_lazy("topology")
    permission = "network.add_onu"
    required = TOPOLOGY_COLUMNS

    def __init__(self) -> None:
        super().__init__()
        self.city = f.CityLookup()
        self.olt_rows: dict[str, tuple[int, dict]] = {}  # olt_id -> (first line, attributes)
        self._load_network()
        self.loaded_in_transaction = False
        self.inserter = BulkInserter(Onu)
        self.staged_positions: set[tuple] = set()  # boards and ports staged to create

    def _load_network(self) -> None:
        self.olts: dict[str, Olt] = {o.olt_id: o for o in Olt.objects.all()}
        self.boards: dict[tuple[int, int, int], int] = {
            (b["olt_id"], b["frame"], b["slot"]): b["pk"]
            for b in Board.objects.values("pk", "olt_id", "frame", "slot")
        }
        self.ports: dict[tuple[int, int, int, int], int] = {
            (p["olt_id"], p["frame"], p["slot"], p["port"]): p["pk"]
            for p in PonPort.objects.values("pk", "olt_id", "frame", "slot", "port")
        }

    # -- staged (staging.py): parents by natural key, resolved in SQL when written ---------

    OLT_FIELDS = ["name", "ip", "vendor", "city_id", "district"]
    BY_CODE = {"olt": {"olt_id": "olt_code"}}

    def make_stage(self) -> StageGroup:
        olts = Stage(Olt, "olt_id", self.OLT_FIELDS)
        olts.add(
            [(line, {"olt_id": code, **attrs}) for code, (line, attrs) in self.olt_rows.items()],
            log_changes=self.log_changes,
        )
        boards = Stage(Board, ("olt", "frame", "slot"), [], self.BY_CODE)
        board = {"olt": "olt", "frame": "frame", "slot": "slot"}
        ports = Stage(
            PonPort, ("olt", "frame", "slot", "port"), [], {**self.BY_CODE, "board": board}
        )
        onus = Stage(
            Onu,
            "onu_id",
            ["olt_id", "frame", "slot", "port", "pon_port_id"],
            {**self.BY_CODE, "pon_port": {**board, "port": "port"}},
        )
        return StageGroup(olts, boards, ports, onus)

    def stage_batch(self, stage: StageGroup, batch) -> None:
        _olts, boards, ports, onus = stage.stages
        new_boards, new_ports, rows = [], [], []
        for line, v in batch:
            code, frame, slot, port = v["olt_id"], v["frame"], v["slot"], v["port"]
            olt = self.olts.get(code)
            olt_pk = olt.pk if olt is not None else None
            shown = f"{code} {frame}/{slot}"
            if (code, frame, slot) not in self.staged_positions and (
                olt_pk is None or (olt_pk, frame, slot) not in self.boards
            ):
                self.staged_positions.add((code, frame, slot))
                new_boards.append(
                    (line, {"olt_code": code, "olt_id": olt_pk, "frame": frame, "slot": slot,
                            "_repr": shown})
                )  # fmt: skip
            port_pk = self.ports.get((olt_pk, frame, slot, port))
            if port_pk is None and (code, frame, slot, port) not in self.staged_positions:
                self.staged_positions.add((code, frame, slot, port))
                board_pk = self.boards.get((olt_pk, frame, slot))
                new_ports.append(
                    (line, {"olt_code": code, "olt_id": olt_pk, "board_id": board_pk,
                            "frame": frame, "slot": slot, "port": port,
                            "_repr": f"{shown}/{port}"})
                )  # fmt: skip
            rows.append(
                (line, {"onu_id": v["onu_id"], "olt_code": code, "olt_id": olt_pk,
                        "frame": frame, "slot": slot, "port": port, "pon_port_id": port_pk})
            )  # fmt: skip
        boards.add(new_boards, log_changes=self.log_changes)
        ports.add(new_ports, log_changes=self.log_changes)
        onus.add(rows, log_changes=self.log_changes)

    def clean_row(self, line: int, row: dict[str, str]) -> dict | None:
        onu_id = self.unique_key(line, row, "onu_id", 64)
        olt_id = f.required(row, "olt_id", 64)
        olt = {
            "name": f.place_name(row, "olt_name", 128, required_value=True),
            "ip": f.ip_address(row, "olt_ip"),
            "vendor": f.optional(row, "vendor", 32),
            "city_id": self.city(row),
            "district": f.place_name(row, "district", 32),
        }
        first = self.olt_rows.get(olt_id)
        if first is None:
            self.olt_rows[olt_id] = (line, olt)
        elif first[1] != olt:
            differing = next(k for k in olt if olt[k] != first[1][k])
            column = {"name": "olt_name", "ip": "olt_ip", "city_id": "city"}.get(
                differing, differing
            )
            raise RowInvalid(
                column,
                _("differs from line %(line)d for the same OLT %(olt)s")
                % {"line": first[0], "olt": olt_id},
            )
        return {
            "olt_id": olt_id,
            "frame": f.integer(row, "frame", low=0, high=63),
            "slot": f.integer(row, "slot", low=0, high=63),
            "port": f.integer(row, "port", low=0, high=255),
            "onu_id": onu_id,
        }

    def _olt(self, olt_id: str, log_changes: bool) -> Olt:
        olt = self.olts.get(olt_id)
        attrs = self.olt_rows[olt_id][1]
        if olt is None:
            olt = Olt.objects.create(olt_id=olt_id, **attrs)  # signals log the creation
            self.olts[olt_id] = olt
        elif any(getattr(olt, k) != v for k, v in attrs.items()):
            for k, v in attrs.items():
                setattr(olt, k, v)
            olt.save()
        return olt

    def _port(self, olt: Olt, frame: int, slot: int, port: int) -> int:
        key = (olt.pk, frame, slot, port)
        pk = self.ports.get(key)
        if pk is None:
            board_key = (olt.pk, frame, slot)
            board_pk = self.boards.get(board_key)
            if board_pk is None:
                board = Board.objects.create(olt=olt, frame=frame, slot=slot)
                board_pk = self.boards[board_key] = board.pk
            pon = PonPort.objects.create(
                board_id=board_pk, olt=olt, frame=frame, slot=slot, port=port
            )
            pk = self.ports[key] = pon.pk
        return pk

    def check(self, batch) -> tuple[int, int, list]:
        found = Onu.objects.filter(onu_id__in=[v["onu_id"] for _l, v in batch]).count()
        return len(batch) - found, found, batch  # found: at most updated (if changed)

    def write(self, batch, *, log_changes: bool) -> tuple[int, int]:
        """Apply the stages (once) or, without them or if they drifted, write one batch."""
        if isinstance(batch, StageGroup):
            return batch.apply(log_changes=log_changes)
        if not self.loaded_in_transaction:
            # What another writer added since the check (it made the stage drift) is found,
            # not created twice.
            self._load_network()
            self.loaded_in_transaction = True
        existing = {
            o.onu_id: o for o in Onu.objects.filter(onu_id__in=[v["onu_id"] for _l, v in batch])
        }
        to_create, to_update, befores = [], [], {}
        for _line, v in batch:
            olt = self._olt(v["olt_id"], log_changes)
            values = {
                "olt_id": olt.pk,
                "frame": v["frame"],
                "slot": v["slot"],
                "port": v["port"],
                "pon_port_id": self._port(olt, v["frame"], v["slot"], v["port"]),
            }
            onu = existing.get(v["onu_id"])
            if onu is None:
                to_create.append({"onu_id": v["onu_id"], **values})
            elif any(getattr(onu, k) != val for k, val in values.items()):
                befores[onu.pk] = changelog.snapshot(onu, onu._loaded_values)
                for k, val in values.items():
                    setattr(onu, k, val)
                to_update.append(onu)
        self.inserter.insert(to_create)
        if to_update:
            Onu.objects.bulk_update(to_update, ["olt_id", "frame", "slot", "port", "pon_port_id"])
        if log_changes:
            log_bulk_creates(Onu, "onu_id", to_create)
            changelog.record_bulk(to_update, "update", befores)
        return len(to_create), len(to_update)
