"""Where uploaded files that not everyone may read are kept.

The media root is served as it is (by Django under DEBUG, by the reverse proxy in
production), so a file kept there is public to anyone who guesses its name. Applications'
documents, standards' texts and announcements' attachments are private until a view that
checks who asks hands them out: they live under PRIVATE_ROOT, which nothing serves."""

from django.core.files.storage import FileSystemStorage, storages


class PrivateStorage(FileSystemStorage):
    def url(self, name):
        raise ValueError(f"{name} is private: serve it through a view that checks who asks")


def private_storage():
    """The storage of private uploads (a callable, so tests may point it elsewhere)."""
    return storages["private"]
