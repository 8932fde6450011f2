"""Where uploaded files that not everyone may read are kept.

The media root is served as it is (by Django under DEBUG, by the reverse proxy in
production), so a file kept there is public to anyone who guesses its name. Applications'
documents, standards' texts and announcements' attachments are private until a view that
checks who asks hands them out: they live under PRIVATE_ROOT, which nothing serves."""

import hashlib

from django.core.files.storage import FileSystemStorage, storages


class PrivateStorage(FileSystemStorage):
    def url(self, name):
        raise ValueError(f"{name} is private: serve it through a view that checks who asks")


def private_storage():
    """The storage of private uploads (a callable, so tests may point it elsewhere)."""
    return storages["private"]


def file_sha256(f) -> str:
    """The SHA-256 of an uploaded file, read in chunks; the file is left at its start."""
    digest = hashlib.sha256()
    for chunk in f.chunks():
        digest.update(chunk)
    f.seek(0)
    return digest.hexdigest()
