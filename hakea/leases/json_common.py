"""Helpers shared by the lease JSON codecs of both families (json4, json6).

LeaseJSONError, format_hex and parse_hex still live in json4 (json6 imports them from there);
get_field is json4's `_get` for json6. json4 keeps its own `_get` for now: once json4 may be edited,
it should import get_field from here (and the three names above can move here too).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hakea.leases.json4 import LeaseJSONError

__all__ = ["get_field"]


def get_field(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], required: bool = True) -> Any:
    """obj[key] checked to be a `kind` (a bool is not an int here); None if absent and not required.
    Raises LeaseJSONError with Kea's texts ("'key' is mandatory", "'key' has an invalid type")."""
    if key not in obj:
        if required:
            raise LeaseJSONError(f"'{key}' is mandatory")
        return None
    value = obj[key]
    if isinstance(value, bool) and kind is not bool:
        raise LeaseJSONError(f"'{key}' has an invalid type")
    if not isinstance(value, kind):
        raise LeaseJSONError(f"'{key}' has an invalid type")
    return value
