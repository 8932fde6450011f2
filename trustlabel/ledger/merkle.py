"""RFC 6962/9162 Merkle tree hashing, storage layout, tiles and proofs for the ledger.

Hashing is RFC 6962 section 2.1: a leaf is SHA-256(0x00 || data), an interior node
SHA-256(0x01 || left || right), and a tree of n leaves splits at the largest power of two
below n. The empty tree hashes to SHA-256 of nothing.

Storage follows Go's golang.org/x/mod/sumdb/tlog, the reference the C2SP specifications
grew out of: every hash of a complete subtree (level L, n-th from the left) has a dense
"stored hash index", so a log that appends leaf n writes the leaf hash and the hashes of the
subtrees that leaf completes, all at consecutive indexes. Anything that can return the
stored hashes at given indexes (a `HashReader`: a callable taking a list of indexes and
returning the hashes in the same order) is enough to compute tree heads and proofs.

Tiles are C2SP tlog-tiles with height 8: tile (L, N) holds the 256 hashes at level 8*L
numbered N*256 to N*256+255, and the rightmost tiles of a tree are partial.

Only the standard library here: the stand-alone verifier imports this module.
"""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
# A proof for a tree of up to 2^64 leaves has at most 64 hashes; refuse longer ones early.
MAX_PROOF_HASHES = 64
EMPTY_TREE_HASH = hashlib.sha256(b"").digest()
# Go's tlog marks entry bundles (the leaf data, not hashes) as level -1.
ENTRIES_LEVEL = -1

HashReader = Callable[[Sequence[int]], Sequence[bytes]]


class ProofError(ValueError):
    """A proof does not verify, or was asked for sizes or indexes outside the tree."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 6962 leaf hash: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 6962 interior node hash: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The split point k of RFC 6962: the largest power of two strictly smaller than n >= 2."""
    return 1 << ((n - 1).bit_length() - 1)


def _complete_subtree_size(n: int) -> tuple[int, int]:
    """The largest power of two k <= n >= 1, and its level log2(k)."""
    level = n.bit_length() - 1
    return 1 << level, level


# Stored hash indexes ------------------------------------------------------------------


def stored_hash_index(level: int, n: int) -> int:
    """Where the hash of the n-th complete subtree at `level` sits in append order.

    Level L's n-th hash is written right after level L-1's (2n+1)-th hash, so we walk down
    to level 0, where record m's leaf hash is at m + m/2 + m/4 + ... = 2m - popcount(m);
    then add back one slot per level climbed (Go's tlog.StoredHashIndex).
    """
    m = ((n + 1) << level) - 1
    return 2 * m - m.bit_count() + level


def split_stored_hash_index(index: int) -> tuple[int, int]:
    """The inverse of stored_hash_index: (level, n) for a stored hash index."""
    # stored_hash_index(0, n) < 2n, so the record n we want is in [index/2, index/2 + log n].
    n = index // 2
    index_n = stored_hash_index(0, n)
    while True:
        # Appending record n+1 writes 1 + trailing_zeros(n + 2) hashes after record n's leaf.
        following = index_n + 1 + _trailing_zeros(n + 1)
        if following > index:
            break
        n += 1
        index_n = following
    level = index - index_n
    return level, n >> level


def _trailing_zeros(x: int) -> int:
    return (x & -x).bit_length() - 1


def stored_hash_count(size: int) -> int:
    """How many hashes a tree of `size` leaves has stored."""
    if size == 0:
        return 0
    count = stored_hash_index(0, size - 1) + 1
    # Plus the hashes of the subtrees the last leaf completed.
    return count + _trailing_zeros(size)


def stored_hashes_for_append(
    size: int, leaf_hashes: Sequence[bytes], read: HashReader
) -> list[bytes]:
    """The hashes to store when leaves `leaf_hashes` are appended to a tree of `size` leaves.

    They go at consecutive stored hash indexes from stored_hash_index(0, size). Reads at most
    log2(size) earlier hashes (the right edge of the old tree) in one call.
    """
    first = stored_hash_index(0, size)
    needed = set()
    for offset in range(len(leaf_hashes)):
        n = size + offset
        for level in range(_trailing_zeros(n + 1)):
            index = stored_hash_index(level, (n >> level) - 1)
            if index < first:
                needed.add(index)
    wanted = sorted(needed)
    known = dict(zip(wanted, _read_checked(read, wanted), strict=True))
    new: list[bytes] = []
    for offset, h in enumerate(leaf_hashes):
        n = size + offset
        for level in range(_trailing_zeros(n + 1) + 1):
            if level > 0:
                left = stored_hash_index(level - 1, (n >> (level - 1)) - 1)
                h = node_hash(known[left], h)
            known[first + len(new)] = h
            new.append(h)
    return new


def _read_checked(read: HashReader, indexes: Sequence[int]) -> list[bytes]:
    if not indexes:
        return []
    hashes = list(read(indexes))
    if len(hashes) != len(indexes) or any(len(h) != HASH_SIZE for h in hashes):
        raise ProofError(f"hash reader returned {len(hashes)} hashes for {len(indexes)} indexes")
    return hashes


# Tree heads and proofs from stored hashes ---------------------------------------------


def _subtree_indexes(lo: int, hi: int, need: list[int]) -> None:
    """Append the stored indexes that make up the subtree of leaves [lo, hi)."""
    while lo < hi:
        k, level = _complete_subtree_size(hi - lo)
        need.append(stored_hash_index(level, lo >> level))
        lo += k


def _subtree_hash(lo: int, hi: int, hashes: list[bytes], pos: int) -> tuple[bytes, int]:
    """Hash of leaves [lo, hi) from hashes[pos:] laid out as _subtree_indexes wrote them."""
    count = 0
    while lo < hi:
        k, _ = _complete_subtree_size(hi - lo)
        count += 1
        lo += k
    h = hashes[pos + count - 1]
    for i in range(pos + count - 2, pos - 1, -1):
        h = node_hash(hashes[i], h)
    return h, pos + count


def tree_hash_indexes(size: int) -> list[int]:
    """The stored hash indexes tree_hash reads: at most 1 + log2(size) of them."""
    need: list[int] = []
    _subtree_indexes(0, size, need)
    return need


def tree_hash(size: int, read: HashReader) -> bytes:
    """The root hash of the first `size` leaves."""
    if size == 0:
        return EMPTY_TREE_HASH
    indexes = tree_hash_indexes(size)
    h, _ = _subtree_hash(0, size, _read_checked(read, indexes), 0)
    return h


def _inclusion_indexes(lo: int, hi: int, index: int, need: list[int]) -> None:
    if hi - lo == 1:
        return
    k = _largest_power_of_two_below(hi - lo)
    if index < lo + k:
        _inclusion_indexes(lo, lo + k, index, need)
        _subtree_indexes(lo + k, hi, need)
    else:
        _subtree_indexes(lo, lo + k, need)
        _inclusion_indexes(lo + k, hi, index, need)


def _inclusion_path(
    lo: int, hi: int, index: int, hashes: list[bytes], pos: int
) -> tuple[list[bytes], int]:
    """The audit path of leaf `index` in [lo, hi), leaf's sibling first (RFC 6962 2.1.1)."""
    if hi - lo == 1:
        return [], pos
    k = _largest_power_of_two_below(hi - lo)
    if index < lo + k:
        path, pos = _inclusion_path(lo, lo + k, index, hashes, pos)
        sibling, pos = _subtree_hash(lo + k, hi, hashes, pos)
    else:
        sibling, pos = _subtree_hash(lo, lo + k, hashes, pos)
        path, pos = _inclusion_path(lo + k, hi, index, hashes, pos)
    path.append(sibling)
    return path, pos


def inclusion_proof_indexes(size: int, index: int) -> list[int]:
    """The stored hash indexes an inclusion proof of leaf `index` in `size` leaves reads."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not in a tree of size {size}")
    need: list[int] = []
    _inclusion_indexes(0, size, index, need)
    return need


def inclusion_proof(size: int, index: int, read: HashReader) -> list[bytes]:
    """RFC 9162 inclusion proof of leaf `index` in the tree of `size` leaves."""
    indexes = inclusion_proof_indexes(size, index)
    path, _ = _inclusion_path(0, size, index, _read_checked(read, indexes), 0)
    return path


def _consistency_indexes(lo: int, hi: int, old: int, need: list[int]) -> None:
    if old == hi:
        if lo != 0:
            _subtree_indexes(lo, hi, need)
        return
    k = _largest_power_of_two_below(hi - lo)
    if old <= lo + k:
        _consistency_indexes(lo, lo + k, old, need)
        _subtree_indexes(lo + k, hi, need)
    else:
        _subtree_indexes(lo, lo + k, need)
        _consistency_indexes(lo + k, hi, old, need)


def _consistency_path(
    lo: int, hi: int, old: int, hashes: list[bytes], pos: int
) -> tuple[list[bytes], int]:
    """SUBPROOF of RFC 6962 section 2.1.2 over [lo, hi) with the old tree ending at `old`."""
    if old == hi:
        if lo == 0:
            # The verifier knows the old root: it is not sent.
            return [], pos
        h, pos = _subtree_hash(lo, hi, hashes, pos)
        return [h], pos
    k = _largest_power_of_two_below(hi - lo)
    if old <= lo + k:
        path, pos = _consistency_path(lo, lo + k, old, hashes, pos)
        sibling, pos = _subtree_hash(lo + k, hi, hashes, pos)
    else:
        sibling, pos = _subtree_hash(lo, lo + k, hashes, pos)
        path, pos = _consistency_path(lo + k, hi, old, hashes, pos)
    path.append(sibling)
    return path, pos


def consistency_proof_indexes(old_size: int, new_size: int) -> list[int]:
    """The stored hash indexes a consistency proof from old_size to new_size reads."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"no consistency proof from size {old_size} to size {new_size}")
    need: list[int] = []
    if 0 < old_size < new_size:
        _consistency_indexes(0, new_size, old_size, need)
    return need


def consistency_proof(old_size: int, new_size: int, read: HashReader) -> list[bytes]:
    """RFC 9162 consistency proof that the first old_size leaves are a prefix of new_size.

    Empty when the sizes are equal or the old tree is empty (as tlog-witness wants).
    """
    indexes = consistency_proof_indexes(old_size, new_size)
    if not indexes:
        return []
    path, _ = _consistency_path(0, new_size, old_size, _read_checked(read, indexes), 0)
    return path


# Verification (RFC 9162 sections 2.1.3.2 and 2.1.4.2) -----------------------------------


def root_from_inclusion_proof(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """The root implied by an inclusion proof of `leaf` (a leaf hash) at `index` in `size`."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not in a tree of size {size}")
    if len(proof) > MAX_PROOF_HASHES or any(len(p) != HASH_SIZE for p in proof):
        raise ProofError("malformed inclusion proof")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise ProofError("inclusion proof is too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is too short")
    return r


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise ProofError unless `proof` shows leaf hash `leaf` at `index` under `root`."""
    if root_from_inclusion_proof(leaf, index, size, proof) != root:
        raise ProofError(f"inclusion proof for index {index} does not match the root hash")


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Raise ProofError unless `proof` shows the old tree is a prefix of the new one."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"size {new_size} is smaller than size {old_size}")
    if len(proof) > MAX_PROOF_HASHES or any(len(p) != HASH_SIZE for p in proof):
        raise ProofError("malformed consistency proof")
    if old_size == new_size:
        if proof:
            raise ProofError("consistency proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError(f"two different root hashes for size {old_size}")
        return
    if old_size == 0:
        # Every tree extends the empty tree; tlog-witness sends no proof for it.
        if proof:
            raise ProofError("consistency proof from the empty tree must be empty")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is too short")
    if fr != old_root:
        raise ProofError(f"consistency proof does not match the root hash at size {old_size}")
    if sr != new_root:
        raise ProofError(f"consistency proof does not match the root hash at size {new_size}")


# Tiles (C2SP tlog-tiles) --------------------------------------------------------------


@dataclass(frozen=True, order=True)
class Tile:
    """Tile N at level L holding W hashes (W = 256 for a full tile).

    Level ENTRIES_LEVEL names the entry bundle with the same N and W.
    """

    level: int
    index: int
    width: int

    def __post_init__(self):
        if not ENTRIES_LEVEL <= self.level <= 63 or self.index < 0:
            raise ValueError(f"invalid tile level {self.level} or index {self.index}")
        if not 1 <= self.width <= TILE_WIDTH:
            raise ValueError(f"invalid tile width {self.width}")

    @property
    def is_full(self) -> bool:
        return self.width == TILE_WIDTH

    def path(self) -> str:
        """`tile/<L>/<N>[.p/<W>]`, or `tile/entries/<N>[.p/<W>]` for an entry bundle."""
        level = "entries" if self.level == ENTRIES_LEVEL else str(self.level)
        path = f"tile/{level}/{_encode_tile_index(self.index)}"
        if not self.is_full:
            path += f".p/{self.width}"
        return path


def _encode_tile_index(n: int) -> str:
    """1234067 -> x001/x234/067: 3-digit elements, all but the last prefixed with x."""
    parts = [f"{n % 1000:03d}"]
    n //= 1000
    while n:
        parts.append(f"x{n % 1000:03d}")
        n //= 1000
    return "/".join(reversed(parts))


def parse_tile_path(path: str) -> Tile:
    """The tile a `tile/...` path names; ValueError unless the path is in canonical form."""
    parts = path.split("/")
    if len(parts) < 3 or parts[0] != "tile":
        raise ValueError(f"not a tile path: {path!r}")
    width = TILE_WIDTH
    if len(parts) >= 4 and parts[-2].endswith(".p"):
        width_text = parts[-1]
        parts = [*parts[:-2], parts[-2].removesuffix(".p")]
        if not width_text.isdigit() or not width_text.isascii():
            raise ValueError(f"bad tile width in {path!r}")
        width = int(width_text)
        if width >= TILE_WIDTH:
            raise ValueError(f"partial tile width out of range in {path!r}")
    level_text = parts[1]
    if level_text == "entries":
        level = ENTRIES_LEVEL
    elif level_text.isascii() and level_text.isdigit():
        level = int(level_text)
    else:
        raise ValueError(f"bad tile level in {path!r}")
    index = 0
    for element in parts[2:]:
        digits = element[1:] if element.startswith("x") else element
        if len(digits) != 3 or not digits.isascii() or not digits.isdigit():
            raise ValueError(f"bad tile index in {path!r}")
        index = index * 1000 + int(digits)
    tile = Tile(level, index, width)
    # Leading zeros, x-prefixes in the wrong place and the like do not round-trip.
    if tile.path() != path:
        raise ValueError(f"tile path not in canonical form: {path!r}")
    return tile


def tile_in_tree(level: int, index: int, size: int) -> Tile:
    """Tile (level, index) as a tree of `size` leaves has it: full, or partial at the edge."""
    hashes_at_level = size >> (TILE_HEIGHT * max(level, 0))
    width = min(TILE_WIDTH, hashes_at_level - index * TILE_WIDTH)
    if width <= 0:
        raise ValueError(f"tile {level}/{index} is not in a tree of size {size}")
    return Tile(level, index, width)


def tiles_for_size(size: int) -> list[Tile]:
    """Every hash tile of a tree of `size` leaves (entry bundles mirror the level 0 ones)."""
    return new_tiles(0, size)


def new_tiles(old_size: int, new_size: int) -> list[Tile]:
    """The hash tiles that appear or change when the tree grows from old_size to new_size."""
    tiles = []
    level = 0
    while new_size >> (TILE_HEIGHT * level) > 0:
        old_n = old_size >> (TILE_HEIGHT * level)
        new_n = new_size >> (TILE_HEIGHT * level)
        if old_n != new_n:
            for n in range(old_n >> TILE_HEIGHT, new_n >> TILE_HEIGHT):
                tiles.append(Tile(level, n, TILE_WIDTH))
            n = new_n >> TILE_HEIGHT
            width = new_n - (n << TILE_HEIGHT)
            if width > 0:
                tiles.append(Tile(level, n, width))
        level += 1
    return tiles


def tile_for_index(index: int) -> tuple[Tile, int, int]:
    """The smallest tile that determines stored hash `index`, and the slice of its hashes.

    Returns (tile, start, end) with start and end counted in hashes: the stored hash is the
    Merkle hash of the tile's hashes [start, end), a power-of-two run (Go's tileForIndex).
    """
    level, n = split_stored_hash_index(index)
    tile_level = level // TILE_HEIGHT
    level -= tile_level * TILE_HEIGHT  # level inside the tile
    tile_index = (n << level) >> TILE_HEIGHT
    n -= (tile_index << TILE_HEIGHT) >> level  # n inside the tile, at that level
    start, end = n << level, (n + 1) << level
    return Tile(tile_level, tile_index, end), start, end


def _tile_slice_hash(data: bytes) -> bytes:
    count = len(data) // HASH_SIZE
    if count == 1:
        return data
    half = count // 2 * HASH_SIZE
    return node_hash(_tile_slice_hash(data[:half]), _tile_slice_hash(data[half:]))


def hash_from_tile(tile: Tile, data: bytes, index: int) -> bytes:
    """Stored hash `index` computed from the hashes of `tile` (data = its W*32 bytes)."""
    if len(data) != tile.width * HASH_SIZE:
        raise ValueError(f"{tile.path()} should be {tile.width * HASH_SIZE} bytes, not {len(data)}")
    smallest, start, end = tile_for_index(index)
    if (smallest.level, smallest.index) != (tile.level, tile.index) or tile.width < end:
        raise ValueError(f"stored hash {index} is in {smallest.path()}, not in {tile.path()}")
    return _tile_slice_hash(data[start * HASH_SIZE : end * HASH_SIZE])


def tile_hash_indexes(tile: Tile) -> list[int]:
    """The stored hash indexes of the hashes a hash tile holds, in order."""
    level = tile.level * TILE_HEIGHT
    first = tile.index << TILE_HEIGHT
    return [stored_hash_index(level, first + i) for i in range(tile.width)]


def read_tile_data(tile: Tile, read: HashReader) -> bytes:
    """The bytes of a hash tile, read from stored hashes (as served at tile.path())."""
    return b"".join(_read_checked(read, tile_hash_indexes(tile)))


def tiles_for_indexes(size: int, indexes: Sequence[int]) -> list[Tile]:
    """The tiles of a tree of `size` leaves that hold the given stored hashes, each once.

    With inclusion_proof_indexes and the like, this says which tiles a proof needs.
    """
    limit = stored_hash_count(size)
    tiles: dict[Tile, None] = {}
    for index in indexes:
        if not 0 <= index < limit:
            raise ProofError(f"stored hash {index} is not in a tree of size {size}")
        smallest, _, _ = tile_for_index(index)
        tiles[tile_in_tree(smallest.level, smallest.index, size)] = None
    return list(tiles)


def tile_hash_reader(size: int, read_tiles: Callable[[list[Tile]], Sequence[bytes]]) -> HashReader:
    """A HashReader for a tree of `size` leaves backed by its tiles.

    read_tiles gets the tiles needed (each once, widths as the tree of `size` has them) and
    returns their data in the same order. Tiles are not authenticated here: a proof built
    from a forged tile does not verify against the signed root.
    """

    def read(indexes: Sequence[int]) -> list[bytes]:
        tiles = tiles_for_indexes(size, indexes)
        datas = list(read_tiles(tiles))
        if len(datas) != len(tiles):
            raise ProofError(f"tile reader returned {len(datas)} tiles for {len(tiles)}")
        by_level_and_index = {(t.level, t.index): (t, d) for t, d in zip(tiles, datas, strict=True)}
        hashes = []
        for index in indexes:
            smallest, _, _ = tile_for_index(index)
            tile, data = by_level_and_index[smallest.level, smallest.index]
            hashes.append(hash_from_tile(tile, data, index))
        return hashes

    return read
