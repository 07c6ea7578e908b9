"""Model fields for personal data: encrypted text, lookup hashes and the key id of a row."""

from __future__ import annotations

from django.db import models

from sqm.core import crypto


class EncryptedTextField(models.TextField):
    """Stored as AES-GCM ciphertext bound to its table and column; read back as text.

    `mask` names the masking function (see core.masking) used wherever it is shown.
    """

    def __init__(self, *args, mask: str = "name", **kwargs):
        self.mask = mask
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["mask"] = self.mask
        return name, path, args, kwargs

    @property
    def context(self) -> str:
        return f"{self.model._meta.db_table}.{self.column}"

    def from_db_value(self, value, expression, connection):
        if not value:
            return ""
        return crypto.keyring().decrypt(value, self.context)

    def get_db_prep_value(self, value, connection, prepared=False):
        if value is None or value == "":
            return ""
        return crypto.keyring().encrypt(str(value), self.context)


class LookupHashField(models.CharField):
    """HMAC of another field's plaintext, kept in step with it on every save."""

    def __init__(self, *args, source: str = "", **kwargs):
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("db_index", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance, add):
        plain = getattr(model_instance, self.source)
        value = crypto.lookup_hash(plain) if plain else ""
        setattr(model_instance, self.attname, value)
        return value


class KeyIdField(models.CharField):
    """The data-key id a row's personal fields were last encrypted with (for rotation)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def pre_save(self, model_instance, add):
        value = crypto.keyring().active_id
        setattr(model_instance, self.attname, value)
        return value


def refresh_personal_fields(instance: models.Model) -> None:
    """Recompute lookup hashes and key id (for bulk_update, which skips pre_save)."""
    for field in instance._meta.concrete_fields:
        if isinstance(field, LookupHashField | KeyIdField):
            field.pre_save(instance, False)
