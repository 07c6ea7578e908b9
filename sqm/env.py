"""Reading settings from the environment, with `*_FILE` variants for secrets.

Kept free of Django imports: settings.py and the `sqm` entry point both use it.
"""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path


class ConfigurationError(RuntimeError):
    """A setting is missing or malformed; the message says which and how to fix it."""


def env(name: str, default: str | None = None) -> str | None:
    """Value of NAME, or the contents of the file named by NAME_FILE, or DEFAULT."""
    value = os.environ.get(name)
    if value:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigurationError(f"{name}_FILE={path}: cannot read: {exc.strerror}") from exc
    return default


def env_bool(name: str, default: bool = False) -> bool:
    value = env(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigurationError(f"{name}={value!r}: expected a whole number") from exc


def home() -> Path:
    """SQM_HOME: the instance folder (embedded database, media, job storage, dev keys)."""
    path = Path(env("SQM_HOME", "var")).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_production() -> bool:
    return (env("SQM_ENV", "development") or "").lower() == "production"


def new_data_key() -> str:
    """A fresh data key in the `key-id:base64` form SQM_DATA_KEY takes."""
    key_id = "k" + secrets.token_hex(4)
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()}"


_GENERATORS = {
    "SQM_SECRET_KEY": lambda: secrets.token_urlsafe(50),
    "SQM_DATA_KEY": new_data_key,
    "SQM_LOOKUP_KEY": lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "SQM_AUDIT_KEY": new_data_key,  # same `id:key` form: the audit key rotates like data keys
}


def keyfile(name: str) -> Path:
    return home() / "keys" / name.lower()


def secret(name: str) -> str:
    """A secret from the environment; outside production generated once under SQM_HOME/keys."""
    value = env(name)
    if value:
        return value
    if is_production():
        raise ConfigurationError(
            f"SQM_ENV=production but {name} is not set. Set {name} (or {name}_FILE pointing "
            f"at a file holding it); generate one with `sqm keys generate`."
        )
    path = keyfile(name)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(_GENERATORS[name]() + "\n")
    return path.read_text(encoding="utf-8").strip()
