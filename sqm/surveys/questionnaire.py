"""The questionnaire file (YAML): items with scales, constructs, business processes, reverse
coding and SERVQUAL tags, the default PLS model and the composite index (docs/surveys.md).

Parsing is pure: `parse_questionnaire` returns a `Spec` or raises `InputError` naming the
file, the line where YAML can tell it, and the key (`items[3].scale.max`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.utils.translation import gettext as _

from sqm.surveys import pls
from sqm.surveys.choices import Construct, Process, ServqualDimension, ServqualKind
from sqm.surveys.pls import SCHEMES, Model, ModelError

CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,39}$")
SEGMENTS = ("brand", "city", "product", "wave")


class InputError(ValueError):
    """Bad input, with the file, line (or key) and field named in the message."""


@dataclass
class ItemSpec:
    code: str
    text: str
    scale_min: int
    scale_max: int
    construct: str = ""
    process: str = ""
    reverse: bool = False
    servqual_dimension: str = ""
    servqual_kind: str = ""


@dataclass
class Spec:
    code: str
    name: str
    own_operator: str
    items: list[ItemSpec]
    missing_codes: list[str] = field(default_factory=list)
    model: dict | None = None  # constructs {NAME: {mode, items}}, paths, scheme, scaled
    composite: dict[str, float] = field(default_factory=dict)


def load_yaml(path: Path, text: str | None = None):
    """The YAML document of PATH (or TEXT read from it), with the line of a syntax error."""
    try:
        if text is None:
            text = path.read_text(encoding="utf-8-sig")
        return yaml.safe_load(text)
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror}") from exc
    except UnicodeDecodeError:
        raise InputError(f"{path}: " + _("not UTF-8 text")) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        problem = getattr(exc, "problem", exc)
        raise InputError(f"{where}: " + _("not valid YAML") + f": {problem}") from exc


class _Keyed:
    """Raises InputError with the file and the key path in the message."""

    def __init__(self, path: Path | None) -> None:
        self.path = path  # None: text typed on a page, named by key only

    def fail(self, key: str, message: str) -> InputError:
        where = [str(part) for part in (self.path, key) if part]
        return InputError(": ".join([*where, message]))

    def text(self, spec: dict, key: str, where: str, *, required: bool = True, limit: int = 200):
        value = spec.get(key)
        if value is None or value == "":
            if required:
                raise self.fail(f"{where}{key}", _("a value is required"))
            return ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise self.fail(f"{where}{key}", _("expected text"))
        value = str(value).strip()
        if len(value) > limit:
            raise self.fail(f"{where}{key}", _("longer than %(n)d characters") % {"n": limit})
        return value

    def scale(self, value, where: str, default: tuple[int, int] | None) -> tuple[int, int]:
        if value is None:
            if default is None:
                raise self.fail(where, _("a scale {min: 1, max: 10} is required"))
            return default
        if not isinstance(value, dict):
            raise self.fail(where, _("expected {min: …, max: …}"))
        bounds = []
        for end in ("min", "max"):
            bound = value.get(end)
            if not isinstance(bound, int) or isinstance(bound, bool):
                raise self.fail(f"{where}.{end}", _("a whole number is required"))
            bounds.append(bound)
        low, high = bounds
        if not (0 <= low < high <= 100):
            raise self.fail(where, _("min must be below max, both within 0–100"))
        return low, high

    def choice(self, value, key: str, choices) -> str:
        if value is None or value == "":
            return ""
        if value not in choices.values:
            raise self.fail(
                key,
                _("%(value)r is not one of %(allowed)s")
                % {"value": value, "allowed": ", ".join(choices.values)},
            )
        return str(value)


def parse_questionnaire(path: Path, text: str | None = None) -> Spec:
    """Read and check a questionnaire file; every problem names its key."""
    spec = load_yaml(path, text)
    k = _Keyed(path)
    if not isinstance(spec, dict):
        raise InputError(f"{path}: " + _("expected a mapping with code, name and items"))
    code = k.text(spec, "code", "", limit=40)
    if not CODE.match(code):
        raise k.fail("code", _("letters, digits, '_', '.' or '-', starting with a letter"))
    name = k.text(spec, "name", "")
    own = k.text(spec, "own_operator", "", limit=40)
    default_scale = k.scale(spec.get("scale"), "scale", (1, 10)) if "scale" in spec else None
    missing = spec.get("missing_codes") or []
    if not isinstance(missing, list) or not all(isinstance(m, str | int) for m in missing):
        raise k.fail("missing_codes", _("a list of answer codes is required"))
    raw_items = spec.get("items")
    if not isinstance(raw_items, list) or not raw_items:
        raise k.fail("items", _("a list of items is required"))
    items: list[ItemSpec] = []
    seen: dict[str, int] = {}
    reserved = {"respondent_id", "operator", *SEGMENTS}
    for n, raw in enumerate(raw_items, start=1):
        where = f"items[{n}]"
        if not isinstance(raw, dict):
            raise k.fail(where, _("expected a mapping with code, text, construct …"))
        item_code = k.text(raw, "code", f"{where}.", limit=40)
        if not CODE.match(item_code) or item_code in reserved:
            raise k.fail(
                f"{where}.code",
                _("%(code)r cannot name a column (letters, digits, '_', '.', '-'; not a "
                  "segment column)") % {"code": item_code},
            )  # fmt: skip
        if item_code in seen:
            raise k.fail(
                f"{where}.code",
                _("%(code)s appears again (first as items[%(n)d])")
                % {"code": item_code, "n": seen[item_code]},
            )
        seen[item_code] = n
        low, high = k.scale(raw.get("scale"), f"{where}.scale", default_scale)
        reverse = raw.get("reverse", False)
        if not isinstance(reverse, bool):
            raise k.fail(f"{where}.reverse", _("must be true or false"))
        servqual = raw.get("servqual") or {}
        if not isinstance(servqual, dict):
            raise k.fail(f"{where}.servqual", _("expected {dimension: …, kind: …}"))
        dimension = k.choice(servqual.get("dimension"), f"{where}.servqual.dimension",
                             ServqualDimension)  # fmt: skip
        kind = k.choice(servqual.get("kind"), f"{where}.servqual.kind", ServqualKind)
        if bool(dimension) != bool(kind):
            raise k.fail(f"{where}.servqual", _("both dimension and kind are required"))
        items.append(
            ItemSpec(
                code=item_code,
                text=k.text(raw, "text", f"{where}.", required=False, limit=300),
                scale_min=low,
                scale_max=high,
                construct=k.choice(raw.get("construct"), f"{where}.construct", Construct),
                process=k.choice(raw.get("process"), f"{where}.process", Process),
                reverse=reverse,
                servqual_dimension=dimension,
                servqual_kind=kind,
            )
        )
    model = model_spec(k, spec.get("model"), items) if spec.get("model") is not None else None
    composite = _composite(k, spec.get("composite"), items)
    return Spec(code, name, own, items, [str(m) for m in missing], model, composite)


def model_spec(
    k: _Keyed,
    raw,
    items: list[ItemSpec] | None,
    *,
    prefix: str = "model.",
    default_scheme: str = "path",
) -> dict:
    """A structural model (constructs with mode and items, paths, scheme, scaled) checked
    and returned as a plain dict, its errors keyed PREFIX + key.

    Against a questionnaire's ITEMS a block may leave out `items` (the questionnaire's items
    of that construct are taken) and may name only the questionnaire's items; without ITEMS
    (a `sqm survey pls` model file) every block lists its columns."""
    if not isinstance(raw, dict):
        raise k.fail(prefix.rstrip("."), _("expected constructs and paths"))
    constructs = raw.get("constructs")
    if not isinstance(constructs, dict) or not constructs:
        raise k.fail(f"{prefix}constructs", _("a mapping of construct names is required"))
    known = None if items is None else {i.code for i in items}
    blocks = {}
    for name, block in constructs.items():
        where = f"{prefix}constructs.{name}"
        block = block or {}
        if not isinstance(block, dict):
            raise k.fail(where, _("expected mode and items"))
        mode = str(block.get("mode", "A"))
        if mode not in ("A", "B"):
            raise k.fail(f"{where}.mode", _("must be A or B"))
        members = block.get("items")
        if members is None and items is not None:
            members = [i.code for i in items if i.construct == name]
            if not members:
                raise k.fail(where, _("no item of the questionnaire has this construct"))
        if (
            not isinstance(members, list)
            or not members
            or not all(isinstance(m, str) for m in members)
        ):
            raise k.fail(f"{where}.items", _("a list of item codes is required"))
        unknown = [] if known is None else [m for m in members if m not in known]
        if unknown:
            raise k.fail(f"{where}.items", _("not an item of the questionnaire: %(items)s")
                         % {"items": ", ".join(unknown)})  # fmt: skip
        blocks[str(name)] = {"mode": mode, "items": members}
    paths = raw.get("paths") or []
    if not isinstance(paths, list):
        raise k.fail(f"{prefix}paths", _("a list of [from, to] pairs is required"))
    pairs = []
    for n, pair in enumerate(paths, start=1):
        if not (isinstance(pair, list) and len(pair) == 2):
            raise k.fail(f"{prefix}paths[{n}]", _("expected [from, to]"))
        for end in pair:
            if end not in blocks:
                raise k.fail(f"{prefix}paths[{n}]", _("no construct named %(name)s in the model")
                             % {"name": end})  # fmt: skip
        pairs.append([str(pair[0]), str(pair[1])])
    scheme = raw.get("scheme", default_scheme)
    if scheme not in SCHEMES:
        raise k.fail(f"{prefix}scheme", _("must be one of") + " " + ", ".join(SCHEMES))
    scaled = raw.get("scaled", True)
    if not isinstance(scaled, bool):
        raise k.fail(f"{prefix}scaled", _("must be true or false"))
    spec = {"constructs": blocks, "paths": pairs, "scheme": scheme, "scaled": scaled}
    try:
        model_of(spec)  # a cycle or a construct that causes itself
    except ModelError as exc:
        raise k.fail(f"{prefix}paths", str(exc)) from exc
    return spec


def model_of(spec: dict) -> Model:
    """The PLS model a checked spec describes."""
    constructs = tuple(
        pls.Construct(name, tuple(block["items"]), block.get("mode", "A"))
        for name, block in spec["constructs"].items()
    )
    return Model(constructs, tuple(tuple(p) for p in spec.get("paths", [])),
                 scheme=spec.get("scheme", "path"), scaled=spec.get("scaled", True))  # fmt: skip


def _composite(k: _Keyed, raw, items: list[ItemSpec]) -> dict[str, float]:
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw:
        raise k.fail("composite", _("expected construct: weight pairs, e.g. {VAL: 0.7, IMAG: 0.3}"))
    constructs = {i.construct for i in items if i.construct}
    weights = {}
    for name, weight in raw.items():
        if name not in constructs:
            raise k.fail(f"composite.{name}", _("no item of the questionnaire has this construct"))
        if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
            raise k.fail(f"composite.{name}", _("a weight of 0 or more is required"))
        weights[str(name)] = float(weight)
    if abs(sum(weights.values()) - 1) > 1e-6:
        raise k.fail("composite", _("the weights must add up to 1 (they add up to %(sum)s)")
                     % {"sum": f"{sum(weights.values()):g}"})  # fmt: skip
    return weights
