"""C2SP tlog-proof bundles: written as the spec shows, read back, malformed ones refused."""

import base64

import pytest

from trustlabel.ledger import proofbundle

# The example of c2sp.org/tlog-proof, signatures elided as the spec elides them.
SPEC_EXAMPLE = """c2sp.org/tlog-proof@v1
extra YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ
index 73894
gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ=
B95lDa8R83lS8n0eG+o0buTxRKQTYFi//1U8anccXmA=
EKNzoDWG8LGC0Yp9o+sv3qllpMP9uHQ9B20KNL+Q1zs=
RoopEkOdqkYqMB4MJXrbt/hMjOxsVn0IrWjpz1ZMMes=
AHCioX9nLjsrse6YhjRRmk1WUEirVOLLRoOQ6vfO5vk=

example.com/fancylog
109482
sFodV/vSp5O8n9a8QpW6PRY97tfOSW5bsc2Xl/EQi08=

— example.com/fancylog hI2DJw[...]1roloI=
— witness1.example mJirIklj[...]qY9v2B/5bg==
""".encode()

ZERO_HASH = base64.b64encode(bytes(32))
CHECKPOINT = b"log.example\n3\n" + ZERO_HASH + b"\n\n\xe2\x80\x94 log.example AAAA\n"


def test_it_reads_the_spec_example():
    bundle = proofbundle.parse(SPEC_EXAMPLE)
    assert bundle.index == 73894
    assert bundle.extra == base64.b64decode("YWdlLXYxLjIuMS1kYXJ3aW4tYXJtNjQudGFyLmd6kYXJ3aW4tYXJ")
    assert len(bundle.inclusion_proof) == 5
    assert bundle.inclusion_proof[0] == base64.b64decode(
        "gSKyXoYZUgZ6jduWYrkDOARinOMGJveXjgMkBTcdPlQ="
    )
    assert bundle.checkpoint.startswith(b"example.com/fancylog\n109482\n")
    assert bundle.format() == SPEC_EXAMPLE


@pytest.mark.parametrize("extra", [None, b"\x00opaque"])
@pytest.mark.parametrize("proof", [(), (b"\x01" * 32,), tuple(bytes([i]) * 32 for i in range(24))])
def test_bundles_round_trip(extra, proof):
    bundle = proofbundle.ProofBundle(7, proof, CHECKPOINT, extra)
    text = bundle.format()
    assert text.startswith(b"c2sp.org/tlog-proof@v1\n")
    assert (b"\nindex 7\n" in text) and text.endswith(b"\n\n" + CHECKPOINT)
    assert proofbundle.parse(text) == bundle


@pytest.mark.parametrize(
    "text",
    [
        b"c2sp.org/tlog-proof@v2\nindex 1\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\nindex 01\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\nindex -1\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\nindex 1\n\n",
        b"c2sp.org/tlog-proof@v1\nindex 1\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\nindex 1\nextra AAAA\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\nextra \nindex 1\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\nindex 1\n" + ZERO_HASH[:-2] + b"\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\nindex 1\n" + ZERO_HASH[:-2] + b"B=\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\nindex 1\n" + b"\xc3\xa9\n\n" + CHECKPOINT,
        b"c2sp.org/tlog-proof@v1\nindex 1\n"
        + (ZERO_HASH + b"\n") * 65
        + b"\n"
        + CHECKPOINT,
    ],
)  # fmt: skip
def test_it_refuses_malformed_bundles(text):
    with pytest.raises(proofbundle.BundleError):
        proofbundle.parse(text)
