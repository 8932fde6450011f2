"""Tree heads and proofs against RFC 9162's own recursive definitions, written again here.

`Reference` below is RFC 9162 sections 2.1.1 (MTH), 2.1.3.1 (PATH) and 2.1.4.1 (PROOF and
SUBPROOF) read line by line over a list of leaves, with hashlib and nothing from merkle.py.
merkle.py must agree with it for every tree size up to 70, every index and every pair of
sizes, and its verifiers must accept exactly what it produces.
"""

import hashlib
import random

import pytest

from trustlabel.ledger import merkle
from trustlabel.ledger.tests.memlog import MemoryLog, make_log

MAX_SIZE = 70  # past 64, so that the 65th leaf opens a new top level


class Reference:
    """RFC 9162 section 2.1 over the data D[0:n], with the subtree hashes memoised."""

    def __init__(self, data: list[bytes]):
        self.data = data
        self._mth: dict[tuple[int, int], bytes] = {}

    @staticmethod
    def split(n: int) -> int:
        """The largest power of two smaller than n."""
        k = 1
        while k * 2 < n:
            k *= 2
        return k

    def mth(self, lo: int, hi: int) -> bytes:
        """MTH(D[lo:hi])."""
        if (lo, hi) not in self._mth:
            n = hi - lo
            if n == 0:
                value = hashlib.sha256(b"").digest()
            elif n == 1:
                value = hashlib.sha256(b"\x00" + self.data[lo]).digest()
            else:
                k = self.split(n)
                left, right = self.mth(lo, lo + k), self.mth(lo + k, hi)
                value = hashlib.sha256(b"\x01" + left + right).digest()
            self._mth[lo, hi] = value
        return self._mth[lo, hi]

    def path(self, m: int, lo: int, hi: int) -> list[bytes]:
        """PATH(m, D[lo:hi]), m counted from lo."""
        n = hi - lo
        if n == 1:
            return []
        k = self.split(n)
        if m < k:
            return [*self.path(m, lo, lo + k), self.mth(lo + k, hi)]
        return [*self.path(m - k, lo + k, hi), self.mth(lo, lo + k)]

    def subproof(self, m: int, lo: int, hi: int, b: bool) -> list[bytes]:
        """SUBPROOF(m, D[lo:hi], b)."""
        n = hi - lo
        if m == n:
            return [] if b else [self.mth(lo, hi)]
        k = self.split(n)
        if m <= k:
            return [*self.subproof(m, lo, lo + k, b), self.mth(lo + k, hi)]
        return [*self.subproof(m - k, lo + k, hi, False), self.mth(lo, lo + k)]

    def proof(self, m: int, n: int) -> list[bytes]:
        """PROOF(m, D[0:n])."""
        return self.subproof(m, 0, n, True)


def _data(i: int) -> bytes:
    return b"entry %d" % i


@pytest.fixture(scope="module")
def reference():
    return Reference([_data(i) for i in range(MAX_SIZE)])


@pytest.fixture(scope="module")
def log():
    memory = MemoryLog()
    for i in range(MAX_SIZE):
        memory.append([_data(i)])
    return memory


def _flip(h: bytes, bit: int) -> bytes:
    """h with one bit (0 to 255) inverted."""
    flipped = bytearray(h)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


# Certificate Transparency's vectors (RFC 6962 reference code), leaves as bytes.
CT_LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243"]] + [
    bytes.fromhex("5051525354555657"),
    bytes.fromhex("606162636465666768696a6b6c6d6e6f"),
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_INCLUSION = [  # (zero-based index, size, path)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CT_CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


def test_it_hashes_the_empty_tree_as_rfc_6962_says():
    assert merkle.EMPTY_TREE_HASH.hex() == CT_ROOTS[0]
    assert merkle.tree_hash(0, MemoryLog().read_hashes).hex() == CT_ROOTS[0]


def test_it_matches_certificate_transparency_vectors():
    ct = MemoryLog()
    ct.append(CT_LEAVES)
    for size, root in enumerate(CT_ROOTS):
        assert ct.root(size).hex() == root
    for index, size, path in CT_INCLUSION:
        proof = merkle.inclusion_proof(size, index, ct.read_hashes)
        assert [p.hex() for p in proof] == path
        merkle.verify_inclusion(
            merkle.leaf_hash(CT_LEAVES[index]), index, size, proof, ct.root(size)
        )
    for old, new, path in CT_CONSISTENCY:
        proof = merkle.consistency_proof(old, new, ct.read_hashes)
        assert [p.hex() for p in proof] == path
        merkle.verify_consistency(old, new, proof, ct.root(old), ct.root(new))


def test_the_reference_agrees_with_certificate_transparency():
    ct = Reference(CT_LEAVES)
    assert [ct.mth(0, n).hex() for n in range(9)] == CT_ROOTS
    assert [p.hex() for p in ct.path(5, 0, 8)] == CT_INCLUSION[1][2]
    assert [p.hex() for p in ct.proof(6, 8)] == CT_CONSISTENCY[2][2]


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_it_computes_every_root_and_inclusion_proof(size, reference, log):
    root = reference.mth(0, size)
    assert log.root(size) == root
    for index in range(size):
        proof = merkle.inclusion_proof(size, index, log.read_hashes)
        assert proof == reference.path(index, 0, size), (size, index)
        leaf = merkle.leaf_hash(_data(index))
        merkle.verify_inclusion(leaf, index, size, proof, root)


@pytest.mark.parametrize("new_size", range(1, MAX_SIZE + 1))
def test_it_computes_every_consistency_proof(new_size, reference, log):
    new_root = reference.mth(0, new_size)
    for old_size in range(1, new_size + 1):
        proof = merkle.consistency_proof(old_size, new_size, log.read_hashes)
        assert proof == reference.proof(old_size, new_size), (old_size, new_size)
        merkle.verify_consistency(old_size, new_size, proof, reference.mth(0, old_size), new_root)


@pytest.mark.parametrize("size", range(1, 33))
def test_it_refuses_any_altered_inclusion_proof(size, reference):
    root = reference.mth(0, size)
    for index in range(size):
        proof = reference.path(index, 0, size)
        leaf = merkle.leaf_hash(_data(index))
        for position in range(len(proof)):
            for bit in (0, 7, 255):
                bad = list(proof)
                bad[position] = _flip(bad[position], bit)
                with pytest.raises(merkle.ProofError):
                    merkle.verify_inclusion(leaf, index, size, bad, root)
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(_flip(leaf, 3), index, size, proof, root)
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(leaf, index, size, proof, _flip(root, 3))
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(leaf, index, size, [*proof, root], root)
        if proof:
            with pytest.raises(merkle.ProofError):
                merkle.verify_inclusion(leaf, index, size, proof[:-1], root)
        for other_index in range(size):
            if other_index != index:
                with pytest.raises(merkle.ProofError):
                    merkle.verify_inclusion(leaf, other_index, size, proof, root)
        # (Another size can give the same path shape, e.g. index 1 in sizes 3 and 4: the
        # size is bound by the signed checkpoint, not by the path.)


@pytest.mark.parametrize("new_size", range(2, 33))
def test_it_refuses_any_altered_consistency_proof(new_size, reference):
    new_root = reference.mth(0, new_size)
    for old_size in range(1, new_size):
        old_root = reference.mth(0, old_size)
        proof = reference.proof(old_size, new_size)
        for position in range(len(proof)):
            bad = list(proof)
            bad[position] = _flip(bad[position], 0)
            with pytest.raises(merkle.ProofError):
                merkle.verify_consistency(old_size, new_size, bad, old_root, new_root)
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(old_size, new_size, proof, _flip(old_root, 1), new_root)
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(old_size, new_size, proof, old_root, _flip(new_root, 1))
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(old_size, new_size, proof[:-1], old_root, new_root)
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(old_size, new_size, [*proof, new_root], old_root, new_root)
        # A fork: the same new tree claimed to extend a different old tree of the same size.
        forked = Reference([_data(i) if i else b"forged" for i in range(new_size)])
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(old_size, new_size, proof, forked.mth(0, old_size), new_root)


def test_it_handles_equal_and_empty_sizes_in_consistency(reference):
    root = reference.mth(0, 5)
    merkle.verify_consistency(5, 5, [], root, root)
    merkle.verify_consistency(0, 5, [], merkle.EMPTY_TREE_HASH, root)
    with pytest.raises(merkle.ProofError, match="two different root hashes"):
        merkle.verify_consistency(5, 5, [], root, _flip(root, 0))
    with pytest.raises(merkle.ProofError):
        merkle.verify_consistency(6, 5, [], root, root)
    assert merkle.consistency_proof(0, 5, lambda indexes: []) == []
    assert merkle.consistency_proof(5, 5, lambda indexes: []) == []


def test_it_refuses_proofs_outside_the_tree(log):
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_proof(5, 5, log.read_hashes)
    with pytest.raises(merkle.ProofError):
        merkle.verify_inclusion(bytes(32), 0, 0, [], bytes(32))
    with pytest.raises(merkle.ProofError):
        merkle.consistency_proof(6, 5, log.read_hashes)


def test_stored_hash_index_matches_append_order_and_inverts():
    # Appending leaves 0..3 writes: leaf 0, leaf 1, node(1,0), leaf 2, leaf 3, node(1,1), node(2,0).
    order = [(0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1), (2, 0)]
    assert [merkle.stored_hash_index(level, n) for level, n in order] == list(range(7))
    for index in range(5000):
        level, n = merkle.split_stored_hash_index(index)
        assert merkle.stored_hash_index(level, n) == index


def test_batched_appends_store_the_same_hashes_as_single_ones():
    one_by_one = MemoryLog()
    for i in range(300):
        one_by_one.append([_data(i)])
    rng = random.Random(9162)
    batched = MemoryLog()
    while batched.size < 300:
        count = min(300 - batched.size, rng.randint(1, 40))
        batched.append([_data(i) for i in range(batched.size, batched.size + count)])
    assert batched.hashes == one_by_one.hashes


# Tiles --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_log():
    return make_log(70_000)


def test_tile_paths_follow_tlog_tiles():
    assert merkle.Tile(0, 1234067, 256).path() == "tile/0/x001/x234/067"
    assert merkle.Tile(2, 5, 17).path() == "tile/2/005.p/17"
    assert merkle.Tile(merkle.ENTRIES_LEVEL, 1000, 256).path() == "tile/entries/x001/000"
    assert merkle.Tile(merkle.ENTRIES_LEVEL, 0, 3).path() == "tile/entries/000.p/3"
    for tile in [
        merkle.Tile(0, 0, 256),
        merkle.Tile(63, 10**12, 1),
        merkle.Tile(merkle.ENTRIES_LEVEL, 999, 255),
    ]:
        assert merkle.parse_tile_path(tile.path()) == tile


@pytest.mark.parametrize(
    "path",
    [
        "tile/0/1",
        "tile/00/001",
        "tile/0/x000/001",
        "tile/0/001/234",
        "tile/0/x001/x234",
        "tile/0/001.p/256",
        "tile/0/001.p/0",
        "tile/0/001.p/017",
        "tile/64/001",
        "tile/-1/001",
        "tile/data/001",
        "tiles/0/001",
        "tile/0/00a",
        "tile/0/001.p/",
    ],
)
def test_it_refuses_non_canonical_tile_paths(path):
    with pytest.raises(ValueError):
        merkle.parse_tile_path(path)


def test_tiles_of_a_tree_of_70000_are_those_of_the_spec_example():
    # tlog-tiles: 273 full level 0 tiles, one of width 112, one full level 1 tile, one of
    # width 17 and one level 2 tile of width 1.
    tiles = merkle.tiles_for_size(70_000)
    assert [t for t in tiles if t.level == 0 and t.is_full] == [
        merkle.Tile(0, n, 256) for n in range(273)
    ]
    assert [t for t in tiles if not (t.level == 0 and t.is_full)] == [
        merkle.Tile(0, 273, 112),
        merkle.Tile(1, 0, 256),
        merkle.Tile(1, 1, 17),
        merkle.Tile(2, 0, 1),
    ]
    assert merkle.tiles_for_size(256) == [merkle.Tile(0, 0, 256), merkle.Tile(1, 0, 1)]
    # Growing within one level 0 tile changes only that tile; completing one changes its parent.
    assert merkle.new_tiles(69_990, 70_000) == [merkle.Tile(0, 273, 112)]
    assert merkle.new_tiles(69_800, 70_000) == [
        merkle.Tile(0, 272, 256),
        merkle.Tile(0, 273, 112),
        merkle.Tile(1, 1, 17),
    ]


def test_tile_hashes_are_the_subtree_hashes_the_spec_defines(big_log):
    reference = Reference(big_log.entries)
    # MTH(D[(n * 256 + i) * 256**l : (n * 256 + i + 1) * 256**l]) for tile (l, n).
    for level, n, i in [(0, 0, 0), (0, 273, 111), (1, 0, 0), (1, 0, 255), (1, 1, 16)]:
        data = big_log.read_tiles([merkle.tile_in_tree(level, n, 70_000)])[0]
        span = 256**level
        lo = (n * 256 + i) * span
        assert data[32 * i : 32 * i + 32] == reference.mth(lo, lo + span)
    top = big_log.read_tiles([merkle.tile_in_tree(2, 0, 70_000)])[0]
    assert top == reference.mth(0, 65_536)


def test_proofs_from_tiles_equal_proofs_from_stored_hashes(big_log):
    rng = random.Random(6962)
    sizes = [1, 255, 256, 257, 65_535, 65_536, 65_537, 70_000]
    sizes += [rng.randint(1, 70_000) for _ in range(40)]
    for size in sizes:
        fetched: list[merkle.Tile] = []

        def read_tiles(tiles, fetched=fetched):
            fetched.extend(tiles)
            return big_log.read_tiles(tiles)

        from_tiles = merkle.tile_hash_reader(size, read_tiles)
        assert merkle.tree_hash(size, from_tiles) == big_log.root(size)
        for index in {0, size - 1, rng.randrange(size)}:
            assert merkle.inclusion_proof(size, index, from_tiles) == merkle.inclusion_proof(
                size, index, big_log.read_hashes
            )
        old = rng.randint(0, size)
        assert merkle.consistency_proof(old, size, from_tiles) == merkle.consistency_proof(
            old, size, big_log.read_hashes
        )
        # Each tile is asked for with the width the tree of this size gives it.
        for tile in fetched:
            assert tile == merkle.tile_in_tree(tile.level, tile.index, size)


def test_an_inclusion_proof_needs_few_tiles(big_log):
    fetched = []

    def read_tiles(tiles):
        fetched.append(tiles)
        return big_log.read_tiles(tiles)

    merkle.inclusion_proof(70_000, 12_345, merkle.tile_hash_reader(70_000, read_tiles))
    [tiles] = fetched
    assert len(tiles) == len(set(tiles)) <= 4
    indexes = merkle.inclusion_proof_indexes(70_000, 12_345)
    assert merkle.tiles_for_indexes(70_000, indexes) == tiles
    # Leaf 12345's own level 0 tile, its level 1 sibling tiles, and the partial edges.
    assert merkle.Tile(0, 48, 256) in tiles


def test_a_tile_reader_refuses_hashes_outside_the_tree(big_log):
    reader = merkle.tile_hash_reader(10, big_log.read_tiles)
    with pytest.raises(merkle.ProofError):
        reader([merkle.stored_hash_count(10)])
    with pytest.raises(ValueError):
        merkle.hash_from_tile(merkle.Tile(0, 0, 2), bytes(64), merkle.stored_hash_index(0, 2))
