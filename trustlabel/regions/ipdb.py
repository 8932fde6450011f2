"""The operator's IP geolocation database (a MaxMind DB file), read with `maxminddb`.

Two schemas are in use and both are read: GeoIP2/GeoLite2 City and DB-IP's own files
nest the answer (`country.iso_code`, `subdivisions[0]`, `location`); the repackaged
DB-IP City Lite is flat (`country_code`, `state1`, `latitude`). What is read here is
only what the database says; places.locate_ip turns it into a province.
"""

from dataclasses import dataclass

import maxminddb

from .once import once_per_key


@dataclass(frozen=True)
class IpRecord:
    country: str | None
    subdivision_code: str | None  # ISO 3166-2 letters ("GD") or old numeric ("44")
    subdivision_names: tuple[str, ...]
    lat: float | None
    lon: float | None
    accuracy_km: float | None


def record_of(raw: dict) -> IpRecord:
    country = (raw.get("country") or {}).get("iso_code") or raw.get("country_code")
    subdivisions = raw.get("subdivisions") or [{}]
    first = subdivisions[0]
    names = tuple((first.get("names") or {}).values())
    if raw.get("state1"):
        names += (raw["state1"],)
    location = raw.get("location") or {}
    return IpRecord(
        country=country,
        subdivision_code=first.get("iso_code"),
        subdivision_names=names,
        lat=location.get("latitude", raw.get("latitude")),
        lon=location.get("longitude", raw.get("longitude")),
        accuracy_km=location.get("accuracy_radius"),
    )


class IpDatabase:
    def __init__(self, path: str):
        # MODE_AUTO: memory-mapped, C extension when installed; lookups take microseconds.
        self.reader = maxminddb.open_database(path)

    def lookup(self, ip: str) -> IpRecord | None:
        """What the database says of the address; None for an address it does not
        hold or that is not an IP address at all."""
        try:
            raw = self.reader.get(ip.strip())
        except ValueError:
            return None
        return record_of(raw) if isinstance(raw, dict) else None


@once_per_key
def database(path: str) -> IpDatabase:
    """The database at `path`, opened on first use."""
    return IpDatabase(path)
