"""A Kea option definition ("option-def" entry or standard), checked as Kea checks one.

The DHCPv4 and DHCPv6 definitions (hakea.dhcp4.options.OptionDef, hakea.dhcp6.options.OptionDef6)
are this shape; each family sets its default option space and its code range. For records,
`record_types` lists the field types and `array` makes the last field repeat (Kea ARM);
`encapsulate` names the option space carried as sub-options ("" when none).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self, TypeVar

from hakea.dhcp4.option_codecs import FIELD_TYPES

__all__ = ["TRAILING_ONLY", "OptionDefinition", "find_standard"]

# Types that consume the rest of the payload, so they can only end a record and cannot repeat.
TRAILING_ONLY = frozenset({"string", "binary"})


@dataclass(frozen=True, slots=True)
class OptionDefinition:
    """One option format; a family subclass gives `space` its default and checks the code."""

    name: str
    code: int
    type: str
    array: bool = False
    record_types: tuple[str, ...] = ()
    space: str = ""
    encapsulate: str = ""

    def __post_init__(self) -> None:
        where = f"option definition {self.name} ({self.code})"
        if not self.name:
            raise ValueError(f"{where}: name must not be empty")
        self._check_code(where)
        if self.type == "record":
            if not self.record_types:
                raise ValueError(f"{where}: a record needs record-types")
            for i, field_type in enumerate(self.record_types):
                if field_type not in FIELD_TYPES or field_type == "empty":
                    raise ValueError(f"{where}: '{field_type}' is not a valid record field type")
                last = i == len(self.record_types) - 1
                if field_type in TRAILING_ONLY and (not last or self.array):
                    raise ValueError(f"{where}: a {field_type} field can only end a non-array record")
        else:
            if self.type not in FIELD_TYPES:
                raise ValueError(f"{where}: '{self.type}' is not a valid option type")
            if self.record_types:
                raise ValueError(f"{where}: record-types given but type is not record")
            if self.array and self.type in (TRAILING_ONLY | {"empty"}):
                raise ValueError(f"{where}: an array of {self.type} is not a valid option definition")

    def _check_code(self, where: str) -> None:
        """Raise ValueError (starting with `where`) when the code is outside the family's range."""
        raise NotImplementedError

    @classmethod
    def custom(
        cls,
        name: str,
        code: int,
        type: str,
        array: bool = False,
        record_types: str = "",
        space: str | None = None,
        encapsulate: str = "",
    ) -> Self:
        """Build from an "option-def" entry's values ("record-types" is Kea's comma list); `space`
        None is the family's own space."""
        fields = tuple(t.strip() for t in record_types.split(",") if t.strip())
        if space is None:
            return cls(name, code, type, array, fields, encapsulate=encapsulate)
        return cls(name, code, type, array, fields, space, encapsulate)

    @classmethod
    def standard(cls, name: str, code: int, type: str, array: bool = False, encapsulate: str = "") -> Self:
        """A definition of the family's own space, for its standard table."""
        return cls(name, code, type, array, (), encapsulate=encapsulate)

    @classmethod
    def record(cls, name: str, code: int, *fields: str, array: bool = False) -> Self:
        """A record definition of the family's own space (the last field repeats in an array)."""
        return cls(name, code, "record", array, fields)

    @property
    def label(self) -> str:
        return f"{self.name} ({self.code})"


DefT = TypeVar("DefT", bound=OptionDefinition)


def find_standard(
    by_name: Mapping[str, DefT], by_code: Mapping[int, DefT], name_or_code: str | int
) -> DefT | None:
    """A definition by Kea name or by code (an int, or decimal text when no name matches)."""
    if isinstance(name_or_code, int):
        return by_code.get(name_or_code)
    found = by_name.get(name_or_code)
    if found is None and name_or_code.isdigit():
        return by_code.get(int(name_or_code))
    return found
