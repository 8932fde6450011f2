"""An in-memory log over merkle.py's stored hashes, for the ledger's tests."""

from trustlabel.ledger import merkle


class MemoryLog:
    """Leaves and stored hashes in lists: the storage the Django part will keep in tables."""

    def __init__(self):
        self.entries: list[bytes] = []
        self.hashes: list[bytes] = []

    @property
    def size(self) -> int:
        return len(self.entries)

    def read_hashes(self, indexes):
        return [self.hashes[i] for i in indexes]

    def append(self, entries: list[bytes]) -> None:
        """Integrate a batch of entries, as the batching writer will."""
        leaf_hashes = [merkle.leaf_hash(e) for e in entries]
        new = merkle.stored_hashes_for_append(self.size, leaf_hashes, self.read_hashes)
        assert len(self.hashes) == merkle.stored_hash_index(0, self.size)
        self.hashes.extend(new)
        self.entries.extend(entries)
        assert len(self.hashes) == merkle.stored_hash_count(self.size)

    def root(self, size: int | None = None) -> bytes:
        return merkle.tree_hash(self.size if size is None else size, self.read_hashes)

    def read_tiles(self, tiles):
        return [merkle.read_tile_data(tile, self.read_hashes) for tile in tiles]


def make_log(size: int, batch: int = 1000) -> MemoryLog:
    log = MemoryLog()
    for start in range(0, size, batch):
        log.append([b"entry %d" % i for i in range(start, min(size, start + batch))])
    return log
