"""Reading an avatar upload without holding more of it than an avatar may be."""

import io
from typing import Any

from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.http import HttpRequest

from accounts.avatars import MAX_UPLOAD_BYTES

AVATAR_FIELD = "avatar"


class AvatarUploadHandler(FileUploadHandler):
    """Keep the ``avatar`` file of a request in memory, up to the avatar
    limit, and nothing else.

    Django's own handlers spill large files to a temporary file on disk,
    whole; this one stops copying at ``MAX_UPLOAD_BYTES`` and lets the
    parser skip the rest, so a 30 MB upload costs 5 MB of memory and no
    disk. It counts every file of the request together, and other file
    fields are skipped, so many files cannot add up either.
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.received = 0
        self.too_large = False
        self.buffer: io.BytesIO | None = None

    def new_file(self, field_name: str, *args: Any, **kwargs: Any) -> None:
        super().new_file(field_name, *args, **kwargs)
        if field_name != AVATAR_FIELD or self.buffer is not None:
            raise SkipFile()
        self.buffer = io.BytesIO()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        assert self.buffer is not None
        self.received += len(raw_data)
        if self.received > MAX_UPLOAD_BYTES:
            self.too_large = True
            self.buffer = io.BytesIO()  # Let go of what was read so far.
            raise SkipFile()
        self.buffer.write(raw_data)

    def file_complete(self, file_size: int) -> InMemoryUploadedFile | None:
        if self.buffer is None or self.too_large:
            return None
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )
