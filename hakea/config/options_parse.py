"""Kea "option-def" and "option-data" entries -> OptionDef / OptionData (payload encoded once).

Lookup follows kea-dhcp4 2.2 (checked with `kea-dhcp4 -t`):
- an entry needs "name" or "code"; with both, they must name the same definition;
- a name without a definition is refused ("definition for the option 'dhcp4.foo' does not exist");
- a code without a definition is accepted only as hex ("csv-format": false);
- a plain array option (routers, domain-name-servers...) may have no data: empty payload;
- "option-def" may not redefine a standard dhcp4 option, nor repeat a name or code in its space.

The rules are the same in kea-dhcp6; `BaseOptionResolver` holds them, and a family supplies its
standard definitions, code range and encoder (OptionResolver here, OptionResolver6 in options6).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from hakea.config import keys_common
from hakea.config.errors import ConfigError
from hakea.config.model import OptionData
from hakea.config.values import as_list, as_map, check_keys, require
from hakea.dhcp4.options import AGENT_OPTIONS_SPACE, OptionDef, encode_option_data, find_v4, split_csv

DHCP4_SPACE = "dhcp4"

# Kea's rule for option and space names: letters, digits, '-' and '_', not only digits, and no
# '-' or '_' at either end.
_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?\Z")

# Definitions Kea knows outside the dhcp4 space (relay agent information sub-options).
_OTHER_STANDARD: dict[tuple[str, str | int], OptionDef] = {}
for _d in AGENT_OPTIONS_SPACE.values():
    _OTHER_STANDARD[(_d.space, _d.name)] = _d
    _OTHER_STANDARD[(_d.space, _d.code)] = _d


def _valid_name(name: str) -> bool:
    return bool(_NAME.match(name)) and not name.isdigit()


def _check_code(code: int, path: str) -> None:
    # A DHCPv4 option code is one byte; 0 and 255 are the pad and end markers.
    if code > 255 or code < 0:
        raise ConfigError(path, f"invalid option code '{code}', it must be between 1 and 254")
    if code == 0:
        raise ConfigError(path, "invalid option code '0': reserved for PAD")
    if code == 255:
        raise ConfigError(path, "invalid option code '255': reserved for END")


class OptionDefLike(Protocol):
    """What the resolver reads of a definition (hakea.dhcp4 OptionDef, hakea.dhcp6 OptionDef6)."""

    @property
    def name(self) -> str: ...
    @property
    def code(self) -> int: ...
    @property
    def type(self) -> str: ...
    @property
    def array(self) -> bool: ...


DefT = TypeVar("DefT", bound=OptionDefLike)


class BaseOptionResolver(Generic[DefT]):
    """Definitions in scope (standard + "option-def"), and option-data parsing against them."""

    SPACE: ClassVar[str]  # the family's standard option space ("dhcp4" / "dhcp6")

    def __init__(self, custom: Mapping[tuple[str, str | int], DefT] | None = None) -> None:
        self._custom: dict[tuple[str, str | int], DefT] = dict(custom or {})

    # -- what a family provides

    def _standard(self, name_or_code: str | int) -> DefT | None:
        raise NotImplementedError

    def _other_standard(self, space: str, name_or_code: str | int) -> DefT | None:
        raise NotImplementedError

    def _check_code(self, code: int, path: str) -> None:
        raise NotImplementedError

    def _new_definition(
        self, name: str, code: int, type_: str, array: bool, record_types: str, space: str, encapsulate: str
    ) -> DefT:
        raise NotImplementedError

    def _encode(self, defn: DefT | None, data: str, csv_format: bool) -> bytes:
        raise NotImplementedError

    # -- family-neutral rules

    @property
    def custom_definitions(self) -> tuple[DefT, ...]:
        return tuple(d for key, d in self._custom.items() if isinstance(key[1], str))

    def find(self, space: str, name_or_code: str | int) -> DefT | None:
        found = self._custom.get((space, name_or_code))
        if found is not None:
            return found
        if space == self.SPACE:
            return self._standard(name_or_code)
        return self._other_standard(space, name_or_code)

    def with_definitions(self, entries: Any, path: str) -> Self:
        """A resolver that also knows the definitions of an "option-def" list."""
        resolver = type(self)(self._custom)
        for i, entry in enumerate(as_list(entries, path)):
            resolver._add_definition(entry, f"{path}[{i}]")
        return resolver

    def _add_definition(self, entry: Any, path: str) -> None:
        obj = as_map(entry, path)
        check_keys(obj, path, keys_common.OPTION_DEF)
        name: str = require(obj, "name", path)
        code: int = require(obj, "code", path)
        type_: str = require(obj, "type", path)
        space: str = obj.get("space", self.SPACE)
        if not _valid_name(name):
            raise ConfigError(f"{path}/name", f"invalid option name '{name}'")
        if not _valid_name(space):
            raise ConfigError(f"{path}/space", f"invalid option space name '{space}'")
        self._check_code(code, f"{path}/code")
        if space == self.SPACE:
            for key, what in ((name, "name"), (code, "code")):
                if self._standard(key) is not None:
                    raise ConfigError(
                        f"{path}/{what}",
                        f"unable to override definition of option '{key}' in standard option space "
                        f"'{self.SPACE}'",
                    )
        for key, what in ((name, "name"), (code, "code")):
            if (space, key) in self._custom:
                raise ConfigError(
                    f"{path}/{what}",
                    f"option definition with {what} '{key}' already exists in space '{space}'",
                )
        fields = [t for t in obj.get("record-types", "").split(",") if t.strip()]
        if type_ == "record" and len(fields) < 2:
            raise ConfigError(
                f"{path}/record-types",
                f"invalid number of data fields: {len(fields)} specified for the option of type 'record'. "
                "Expected at least 2 fields.",
            )
        try:
            defn = self._new_definition(
                name,
                code,
                type_,
                obj.get("array", False),
                obj.get("record-types", ""),
                space,
                obj.get("encapsulate", ""),
            )
        except ValueError as exc:
            raise ConfigError(f"{path}/type", str(exc)) from None
        self._custom[(space, name)] = defn
        self._custom[(space, code)] = defn

    def option_data_list(self, entries: Any, path: str) -> tuple[OptionData, ...]:
        if entries is None:
            return ()
        return tuple(self.option_data(e, f"{path}[{i}]") for i, e in enumerate(as_list(entries, path)))

    def option_data(self, entry: Any, path: str) -> OptionData:
        obj = as_map(entry, path)
        check_keys(obj, path, keys_common.OPTION_DATA)
        name: str | None = obj.get("name")
        code: int | None = obj.get("code")
        space: str = obj.get("space", self.SPACE)
        csv_format: bool = obj.get("csv-format", True)
        data: str = obj.get("data", "")
        if name is None and code is None:
            raise ConfigError(path, "option data requires one of 'code' or 'name' to be specified")
        if code is not None:
            self._check_code(code, f"{path}/code")
        defn = self._definition(name, code, space, csv_format, path)
        if defn is not None and csv_format and defn.array and defn.type != "record" and not split_csv(data):
            payload = b""  # Kea accepts an array option without values
        else:
            try:
                payload = self._encode(defn, data, csv_format)
            except ValueError as exc:
                raise ConfigError(f"{path}/data", str(exc)) from None
        return OptionData(
            code=defn.code if defn is not None else code if code is not None else 0,
            data=payload,
            name=defn.name if defn is not None else name or "",
            space=space,
            always_send=obj.get("always-send", False),
        )

    def _definition(
        self, name: str | None, code: int | None, space: str, csv_format: bool, path: str
    ) -> DefT | None:
        if code is not None:
            defn = self.find(space, code)
            if name is not None:
                if defn is None:
                    by_name = self.find(space, name)
                    if by_name is not None:
                        raise ConfigError(
                            f"{path}/code",
                            f"option '{space}.{name}' has code {by_name.code}, not {code}",
                        )
                    # A name for an undefined code: Kea refuses it, like any unknown name.
                    raise ConfigError(
                        f"{path}/name", f"definition for the option '{space}.{name}' does not exist"
                    )
                if defn.name != name:
                    raise ConfigError(
                        f"{path}/name",
                        f"option name '{name}' does not match the definition of code {code}: "
                        f"'{space}.{defn.name}'",
                    )
                return defn
            if defn is None and csv_format:
                raise ConfigError(
                    f"{path}/code",
                    f"definition for the option '{space}' code {code} does not exist; "
                    'give the data in hex with "csv-format": false',
                )
            return defn
        assert name is not None
        defn = self.find(space, name)
        if defn is None:
            raise ConfigError(f"{path}/name", f"definition for the option '{space}.{name}' does not exist")
        return defn


class OptionResolver(BaseOptionResolver[OptionDef]):
    """DHCPv4: Kea's dhcp4 space, the relay agent sub-option space, one-byte codes."""

    SPACE = DHCP4_SPACE

    def _standard(self, name_or_code: str | int) -> OptionDef | None:
        return find_v4(name_or_code)

    def _other_standard(self, space: str, name_or_code: str | int) -> OptionDef | None:
        return _OTHER_STANDARD.get((space, name_or_code))

    def _check_code(self, code: int, path: str) -> None:
        _check_code(code, path)

    def _new_definition(
        self, name: str, code: int, type_: str, array: bool, record_types: str, space: str, encapsulate: str
    ) -> OptionDef:
        return OptionDef.custom(
            name, code, type_, array=array, record_types=record_types, space=space, encapsulate=encapsulate
        )

    def _encode(self, defn: OptionDef | None, data: str, csv_format: bool) -> bytes:
        return encode_option_data(defn, data, csv_format)
