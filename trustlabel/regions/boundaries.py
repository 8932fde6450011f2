"""Division polygons from GeoJSON files, for point lookups and distances.

Each file is a FeatureCollection in WGS-84 (GeoJSON's own CRS) whose features carry the
GB/T 2260 code in `properties.code`: the province file shipped in data/boundaries/, and
any the operator adds (county level, say; TRUSTLABEL_BOUNDARY_FILES). Polygon sets in
GCJ-02 (Amap, Tencent) or BD-09 (Baidu) must be converted first: looking a WGS-84 point
up in them puts one place in a hundred into the wrong county.
"""

import gzip
import json
import math
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import shape

from . import divisions
from .once import once_per_key

EARTH_RADIUS_KM = 6371.0088


def read_features(path: Path) -> list[tuple[str, object]]:
    """(code, polygon) of every polygon feature of a GeoJSON file, .gz or plain."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        collection = json.load(f)
    features = []
    for feature in collection.get("features", []):
        code = (feature.get("properties") or {}).get("code")
        geometry = feature.get("geometry") or {}
        if code is None or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            continue
        features.append((str(code), shape(geometry)))
    return features


class Boundaries:
    """The polygons of some files in one STRtree, and each division's own polygon.

    Codes are mapped onto the division list as they are read (divisions.resolve): a
    renamed code to its new one; a code the list lacks counts, for lookups, as its
    nearest listed ancestor, but never stands for that ancestor's whole area.
    """

    def __init__(self, paths):
        codes, shapes, own = [], [], {}
        for path in paths:
            for code, geometry in read_features(Path(path)):
                listed = divisions.resolve(code)
                if listed is None:
                    continue
                codes.append(listed)
                shapes.append(geometry)
                exact = code if divisions.get(code) else divisions.RENAMED.get(code)
                if exact:
                    own.setdefault(exact, []).append(geometry)
        # np.array(shapes) would try to unpack multipolygons: fill an object array.
        tree_geometries = np.empty(len(shapes), dtype=object)
        tree_geometries[:] = shapes
        shapely.prepare(tree_geometries)
        self.codes = codes
        self.tree = shapely.STRtree(tree_geometries)
        # A code in two files (or split over features) is the union of its pieces.
        self.own = {
            code: parts[0] if len(parts) == 1 else shapely.union_all(parts)
            for code, parts in own.items()
        }
        for geometry in self.own.values():
            shapely.prepare(geometry)
        self._areas = {}

    def codes_at(self, lat: float, lon: float) -> list[str]:
        """The codes of every polygon the point lies in (one per layer, as a rule)."""
        hits = self.tree.query(shapely.Point(lon, lat), predicate="intersects")
        return [self.codes[i] for i in hits]

    def region(self, code: str) -> tuple[str, object] | None:
        """The polygon that stands for division `code`, and whose it is: the division's
        own area (see `area`), else that of its nearest ancestor that has one (a county
        when only province polygons are loaded); None for neither."""
        for candidate in [code, *(entry.code for entry in divisions.chain(code)[1:])]:
            if (geometry := self.area(candidate)) is not None:
                return candidate, geometry
        return None

    def area(self, code: str):
        """The division's own polygon, or the union of its children's areas when every
        child has one (a province given as county polygons); None otherwise."""
        if code not in self._areas:
            geometry = self.own.get(code)
            if geometry is None:
                parts = [self.area(child.code) for child in divisions.children(code)]
                if parts and all(part is not None for part in parts):
                    geometry = shapely.union_all(parts)
                    shapely.prepare(geometry)
            self._areas[code] = geometry  # a benign race: every thread computes the same
        return self._areas[code]


def km_to(geometry, lat: float, lon: float) -> float:
    """Great-circle distance in km from the point to the nearest edge of `geometry`
    (0 inside). The nearest point is found in a local equirectangular projection
    centred on the point, which is exact enough near it; the distance to it is then
    measured on the sphere."""
    point = shapely.Point(lon, lat)
    if shapely.intersects(geometry, point):
        return 0.0
    shrink = math.cos(math.radians(lat))
    local = shapely.transform(geometry, lambda xy: (xy - (lon, lat)) * (shrink, 1.0))
    nearest = shapely.shortest_line(shapely.Point(0, 0), local).coords[1]
    return haversine_km(lat, lon, lat + nearest[1], lon + nearest[0] / shrink)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlambda = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@once_per_key
def boundaries_of(paths: tuple[str, ...]) -> Boundaries:
    """The boundaries of these files, read on first use."""
    return Boundaries(paths)
