"""Helpers shared by the lease JSON codecs of both families (json4, json6).

json4 re-exports LeaseJSONError, so existing imports from hakea.leases.json4 keep working.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["LeaseJSONError", "get_field"]


class LeaseJSONError(ValueError):
    """The JSON does not describe a valid lease; the message names the offending key."""


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
