"""Uploaded files, sealed on arrival: encrypted with the data key before they touch the disk.

Import and survey files carry personal data (names, mobile and ID numbers). The upload
handler encrypts each chunk as the browser sends it, so no clear copy is ever written, not
even Django's temporary file. The worker reads the sealed file through a decrypting stream
(CSV, JSON Lines) or in memory (XLSX, a zip that needs seeking); nothing clear is written
there either. When the job succeeds the file is deleted; a failed job's sealed file is kept
SQM_UPLOAD_KEEP_HOURS so its errors can be checked, then `purge` removes it
(docs/operations.md, "Uploaded files").

Format: MAGIC, key id length (1 byte), key id, an 8-byte random nonce prefix, then chunks of
at most CHUNK bytes, each stored as its sealed length (4 bytes, big-endian) and AES-GCM
output. A chunk's nonce is the prefix and its index; its associated data names the index and
whether it is the last, so chunks cannot be reordered, dropped or the file cut short unseen.
"""

from __future__ import annotations

import io
import os
import struct
import uuid
from datetime import timedelta
from pathlib import Path

from cryptography.exceptions import InvalidTag
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils import timezone

from sqm.core import crypto
from sqm.core.importing.reader import UnreadableFile

MAGIC = b"SQMUP1\n"
SUFFIX = ".sealed"
CHUNK = 1 << 20
TAG = 16
INCOMING = "uploads/incoming"


class SealedFileError(UnreadableFile):
    """The sealed file was altered, cut short or sealed with a key the ring lacks."""


def _aad(index: int, last: bool) -> bytes:
    return b"sqm-upload|%d|%d" % (index, last)


class SealedWriter:
    """Writes a sealed file; `write` takes clear bytes in any sizes, `close` seals the end."""

    def __init__(self, path: Path) -> None:
        ring = crypto.keyring()
        self.cipher = ring.ciphers[ring.active_id]
        self.prefix = os.urandom(8)
        path.parent.mkdir(parents=True, exist_ok=True)
        # 0600: only the service account may read even the sealed form.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self.handle = os.fdopen(fd, "wb")
        key_id = ring.active_id.encode()
        self.handle.write(MAGIC + bytes([len(key_id)]) + key_id + self.prefix)
        self.pending = bytearray()
        self.index = 0
        self.size = 0

    def write(self, data: bytes) -> None:
        self.pending += data
        self.size += len(data)
        # Keep at least one byte back: the last chunk is sealed as the last.
        while len(self.pending) > CHUNK:
            self._seal(bytes(self.pending[:CHUNK]), last=False)
            del self.pending[:CHUNK]

    def _seal(self, clear: bytes, last: bool) -> None:
        nonce = self.prefix + struct.pack(">I", self.index)
        sealed = self.cipher.encrypt(nonce, clear, _aad(self.index, last))
        self.handle.write(struct.pack(">I", len(sealed)) + sealed)
        self.index += 1

    def close(self) -> None:
        self._seal(bytes(self.pending), last=True)
        self.pending.clear()
        self.handle.close()


class SealedReader(io.RawIOBase):
    """The clear bytes of a sealed file as a read-only stream (decrypted chunk by chunk)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.handle = path.open("rb")
        self.total = os.fstat(self.handle.fileno()).st_size
        if self.handle.read(len(MAGIC)) != MAGIC:
            self.handle.close()
            raise SealedFileError(f"{path.name}: not a sealed upload")
        key_id = self.handle.read(self.handle.read(1)[0]).decode()
        cipher = crypto.keyring().ciphers.get(key_id)
        if cipher is None:
            self.handle.close()
            raise SealedFileError(f"{path.name}: sealed with key {key_id!r}, not in SQM_DATA_KEY")
        self.cipher = cipher
        self.prefix = self.handle.read(8)
        self.index = 0
        self.buffer = b""
        self.offset = 0  # clear bytes handed out so far
        self.done = False

    def readable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.offset

    def _next_chunk(self) -> bool:
        head = self.handle.read(4)
        if len(head) < 4:
            raise SealedFileError("the sealed file ends before its last chunk")
        sealed = self.handle.read(struct.unpack(">I", head)[0])
        last = self.handle.tell() >= self.total
        nonce = self.prefix + struct.pack(">I", self.index)
        try:
            self.buffer = self.cipher.decrypt(nonce, sealed, _aad(self.index, last))
        except InvalidTag:
            raise SealedFileError("the sealed file was altered or cut short") from None
        self.index += 1
        self.done = last
        return bool(self.buffer) or not last

    def readinto(self, target) -> int:
        while not self.buffer:
            if self.done or not self._next_chunk():
                return 0
        n = min(len(target), len(self.buffer))
        target[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        self.offset += n
        return n

    def close(self) -> None:
        self.handle.close()
        super().close()


def is_sealed(path: Path) -> bool:
    return path.suffix == SUFFIX


def open_clear(path: Path) -> tuple[io.BufferedReader, int]:
    """A sealed file's clear content as a buffered stream, and its clear size."""
    size = clear_size(path)
    return io.BufferedReader(SealedReader(path), buffer_size=CHUNK), size


def clear_size(path: Path) -> int:
    with path.open("rb") as handle:
        head = handle.read(len(MAGIC) + 1)
        header = len(head) + head[-1] + 8
    full, rest = divmod(path.stat().st_size - header, CHUNK + 4 + TAG)
    return full * CHUNK + max(0, rest - 4 - TAG)


def read_clear(path: Path) -> bytes:
    stream, _size = open_clear(path)
    with stream:
        return stream.read()


def media_path(name: str) -> Path:
    return Path(settings.MEDIA_ROOT) / name


def new_name(folder: str, original: str) -> str:
    """A fresh name under FOLDER: a random id (the original name may itself be personal)
    keeping the original's type, which the reader dispatches on."""
    suffix = Path(original).suffix.lower()[:8]
    return f"{folder}/{uuid.uuid4().hex}{suffix}{SUFFIX}"


class SealedUpload(UploadedFile):
    """An upload the handler sealed as it arrived. `claim` moves it where a job keeps it;
    one never claimed is deleted when the request closes its files."""

    def __init__(self, path: Path, name: str, content_type: str, size: int, charset) -> None:
        super().__init__(None, name, content_type, size, charset)
        self.sealed_path = path

    def claim(self, folder: str) -> str:
        name = new_name(folder, self.name)
        target = media_path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(self.sealed_path, target)
        self.sealed_path = None
        return name

    def open(self, mode=None):
        raise ValueError("a sealed upload is read by the worker, not in the request")

    def close(self) -> None:
        if self.sealed_path is not None:
            self.sealed_path.unlink(missing_ok=True)
            self.sealed_path = None


class SealingUploadHandler(FileUploadHandler):
    """Encrypts every uploaded file chunk by chunk into MEDIA_ROOT/uploads/incoming/."""

    def new_file(self, *args, **kwargs) -> None:
        super().new_file(*args, **kwargs)
        self.path = media_path(new_name(INCOMING, self.file_name or ""))
        self.writer = SealedWriter(self.path)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        self.writer.write(raw_data)
        return None

    def file_complete(self, file_size: int) -> SealedUpload:
        self.writer.close()
        return SealedUpload(
            self.path, self.file_name, self.content_type, self.writer.size, self.charset
        )

    def upload_interrupted(self) -> None:
        writer = getattr(self, "writer", None)
        if writer is not None:
            writer.handle.close()
            self.path.unlink(missing_ok=True)


def seal_upload(upload, folder: str) -> str:
    """Keep UPLOAD sealed under FOLDER (MEDIA_ROOT-relative name returned): a handler-sealed
    upload is moved, any other uploaded file is sealed from its chunks."""
    if isinstance(upload, SealedUpload):
        return upload.claim(folder)
    name = new_name(folder, upload.name)
    writer = SealedWriter(media_path(name))
    for chunk in upload.chunks():
        writer.write(chunk)
    writer.close()
    return name


def read_upload(upload) -> bytes:
    """The clear bytes of a small upload (a questionnaire file), sealed or not."""
    if isinstance(upload, SealedUpload):
        return read_clear(upload.sealed_path)
    return b"".join(upload.chunks())


def sealing(view):
    """View decorator: this view's uploads are sealed as they arrive. The handler must be set
    before anything reads the body, so the CSRF check runs inside, after it is set."""
    from functools import wraps

    from django.contrib.auth.views import redirect_to_login
    from django.views.decorators.csrf import csrf_exempt, csrf_protect

    protected = csrf_protect(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            # Before the body is read: an anonymous upload is never received, not even sealed.
            return redirect_to_login(request.get_full_path())
        request.upload_handlers = [SealingUploadHandler(request)]
        return protected(request, *args, **kwargs)

    return csrf_exempt(wrapped)


def purge(now=None) -> int:
    """Delete kept upload files older than SQM_UPLOAD_KEEP_HOURS: those of finished jobs
    (blanking the job's file), sealed uploads never claimed, and clear files an older
    version left. Returns how many files were deleted."""
    from sqm.core.models import ImportJob

    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.SQM_UPLOAD_KEEP_HOURS)
    deleted = 0
    finished = ImportJob.objects.filter(finished__lt=cutoff).exclude(file="")
    for job in finished.only("pk", "file"):
        if media_path(job.file.name).exists():
            media_path(job.file.name).unlink()
            deleted += 1
        ImportJob.objects.filter(pk=job.pk).update(file="")
    # Files a job still refers to follow the job's own clock (above), not their age.
    kept = ImportJob.objects.exclude(file="").values_list("file", flat=True)
    in_use = {media_path(name) for name in kept}
    roots = [Path(settings.MEDIA_ROOT) / "uploads", Path(settings.MEDIA_ROOT) / "imports"]
    roots.append(Path(settings.SQM_HOME) / "uploads")  # survey uploads of older versions
    for root in roots:
        for path in root.rglob("*") if root.is_dir() else ():
            if not path.is_file() or path in in_use:
                continue
            if path.stat().st_mtime < cutoff.timestamp():
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted
