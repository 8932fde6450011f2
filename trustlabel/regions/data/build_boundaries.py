"""Rebuild boundaries/provinces.geojson.gz from DCW-GMT (Debian's gmt-dcw package).

DCW-GMT (LGPL-3+, see boundaries/NOTICE) holds China's provinces as scaled integer
rings in a netCDF file. This script turns them into WGS-84 polygons keyed by their GB/T
2260 code, simplifies them with shared edges kept (shapely's coverage_simplify, 0.005°,
about 500 m; 99.9 % of real places land in the same province as with the full data, see
docs/research/regions.md §2.4), and writes GeoJSON rounded to 4 decimals (about 11 m).

Neither netCDF4 nor shapely 2.1 is needed at run time: run this in a scratch
environment, from the repository's root, and commit the files it writes:

    apt-get install -y gmt-dcw        # Debian 12: 2.1.1-1
    python3.11 -m venv /tmp/regions-build
    /tmp/regions-build/bin/pip install netCDF4 'shapely>=2.1' numpy
    /tmp/regions-build/bin/python trustlabel/regions/data/build_boundaries.py
"""

import gzip
import json
import sys
from pathlib import Path

import netCDF4
import numpy as np
import shapely
from shapely.geometry import Polygon

DCW = Path("/usr/share/gmt-dcw/dcw-gmt.nc")
OUT = Path(__file__).resolve().parent / "boundaries" / "provinces.geojson.gz"
TOLERANCE = 0.005  # degrees
# DCW names provinces by their ISO 3166-2:CN letters. Taiwan (TW) is left out: the MCA
# list publishes no code for it, so a point there resolves to no division either way.
ISO_TO_GB = {
    "BJ": "110000", "TJ": "120000", "HE": "130000", "SX": "140000", "NM": "150000",
    "LN": "210000", "JL": "220000", "HL": "230000", "SH": "310000", "JS": "320000",
    "ZJ": "330000", "AH": "340000", "FJ": "350000", "JX": "360000", "SD": "370000",
    "HA": "410000", "HB": "420000", "HN": "430000", "GD": "440000", "GX": "450000",
    "HI": "460000", "CQ": "500000", "SC": "510000", "GZ": "520000", "YN": "530000",
    "XZ": "540000", "SN": "610000", "GS": "620000", "QH": "630000", "NX": "640000",
    "XJ": "650000", "HK": "810000", "MO": "820000",
}  # fmt: skip


def province(ds, iso: str):
    """One province as a (multi)polygon. Rings are separated by 65535 in the longitude
    array (the latitude holds 0 there); the values are units per degree above `min`
    (not (max - min) / 65535: that gives spikes). Rings combine even-odd, so an inner
    ring is a hole."""
    x, y = ds[f"CN{iso}_lon"], ds[f"CN{iso}_lat"]
    dx, dy = x[:], y[:]
    lon = dx / x.getncattr("scale") + x.getncattr("min")
    lat = dy / y.getncattr("scale") + y.getncattr("min")
    geometry, start = None, 0
    for end in [*np.where(dx == 65535)[0], len(dx)]:
        if end - start >= 4:
            ring = shapely.make_valid(Polygon(zip(lon[start:end], lat[start:end], strict=True)))
            geometry = ring if geometry is None else shapely.symmetric_difference(geometry, ring)
        start = end + 1
    return geometry


def rounded(geometry, decimals: int = 4) -> dict:
    """The GeoJSON geometry with coordinates rounded, dropping rings that collapse."""
    geometry = shapely.set_precision(geometry, 10**-decimals)
    return json.loads(shapely.to_geojson(geometry, indent=None))


def main() -> None:
    if not DCW.exists():
        sys.exit(f"{DCW} is missing: apt-get install -y gmt-dcw")
    ds = netCDF4.Dataset(DCW)
    ds.set_auto_maskandscale(False)
    codes = list(ISO_TO_GB.values())
    geometries = np.empty(len(codes), dtype=object)
    geometries[:] = [province(ds, iso) for iso in ISO_TO_GB]
    simple = shapely.coverage_simplify(geometries, TOLERANCE)
    features = [
        {"type": "Feature", "properties": {"code": code}, "geometry": rounded(geometry)}
        for code, geometry in zip(codes, simple, strict=True)
    ]
    collection = {
        "type": "FeatureCollection",
        "name": "China provinces, simplified from DCW-GMT 2.1.1 (LGPL-3+)",
        "features": features,
    }
    data = json.dumps(collection, separators=(",", ":")).encode()
    OUT.parent.mkdir(exist_ok=True)
    with gzip.GzipFile(OUT, "wb", mtime=0) as f:  # no timestamp: the same input, same bytes
        f.write(data)
    vertices = int(shapely.get_num_coordinates(simple).sum())
    print(f"{OUT.name}: {len(features)} provinces, {vertices} vertices, {len(data)} bytes")


if __name__ == "__main__":
    main()
