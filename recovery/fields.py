"""Model fields whose values are encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256).

A small module over `cryptography`'s MultiFernet rather than a third-party field package:
the packages for this are thinly maintained, and this is all we need. FIELD_ENCRYPTION_KEY
holds one or more keys, comma-separated; the first encrypts and every key decrypts, so a
key can be rotated without downtime.

Encrypted values cannot be filtered or sorted in the database; only fields nobody searches
by (note text, contact details) use them.
"""

import json
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is empty.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEY holds an invalid key: {exc}") from exc


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


@cache
def _primary(key: str) -> Fernet:
    return Fernet(key)


def rotate_token(token: str) -> str | None:
    """`token` encrypted anew with the first key, or None if the first key already made it.

    Raises InvalidToken when no key decrypts the value (or it is not a token at all).
    """
    fernet()  # fails loudly, as every read does, on a missing or malformed key
    try:
        data = token.encode("ascii")
    except UnicodeEncodeError as exc:
        raise InvalidToken("not a Fernet token") from exc
    try:
        _primary(settings.FIELD_ENCRYPTION_KEYS[0]).decrypt(data)
    except InvalidToken:
        return fernet().rotate(data).decode("ascii")
    return None


def encrypt_str(value: str) -> str:
    return fernet().encrypt(value.encode("utf-8")).decode("ascii")


WRONG_KEY = (
    "A value could not be decrypted with any FIELD_ENCRYPTION_KEY: the database was "
    "encrypted with another key. Set FIELD_ENCRYPTION_KEY to the key(s) in use when the data "
    "was written (after a restore: the keys of the backup's day); `manage.py "
    "check_field_keys` counts what the current keys cannot read."
)


def is_readable(token: str) -> bool:
    """Whether the current keys decrypt this stored token."""
    try:
        fernet().decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def decrypt_str(token: str) -> str:
    try:
        return fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeEncodeError) as exc:  # a non-ASCII value is no token either
        raise ImproperlyConfigured(WRONG_KEY) from exc


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token; Python code sees plain `str`."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None:
            return None
        return encrypt_str(value)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return decrypt_str(value)


class EncryptedJSONField(models.TextField):
    """A JSON document (dict or list) stored as one Fernet token."""

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt_str(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return json.loads(decrypt_str(value))

    def to_python(self, value):
        if isinstance(value, str):
            return json.loads(value)
        return value

    def formfield(self, **kwargs):
        from django import forms

        return super().formfield(**{"form_class": forms.JSONField, **kwargs})

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), ensure_ascii=False, sort_keys=True)


# Every field type whose column holds a Fernet token (reencrypt_fields looks for these).
ENCRYPTED_FIELD_TYPES = (EncryptedTextField, EncryptedJSONField)


def encrypted_fields() -> list[tuple[type[models.Model], list[models.Field]]]:
    """Each model with a table of its own and the encrypted columns of that table."""
    from django.apps import apps

    found = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        # local_: a field inherited from a concrete parent lives in (and is done with) the
        # parent's table.
        fields = [f for f in meta.local_concrete_fields if isinstance(f, ENCRYPTED_FIELD_TYPES)]
        if fields:
            found.append((model, fields))
    return found


def raw_token_columns(fields: list[models.Field]) -> dict[str, models.Expression]:
    """Annotations that read each field's stored token as text, without decrypting it."""
    return {
        f"raw_{f.attname}": models.ExpressionWrapper(
            models.F(f.attname), output_field=models.TextField()
        )
        for f in fields
    }
