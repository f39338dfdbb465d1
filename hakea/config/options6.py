"""DHCPv6 "option-def" / "option-data" -> OptionDef6 / OptionData (payload encoded once).

The rules are those of the DHCPv4 resolver (hakea.config.options_parse, checked against
kea-dhcp6 2.2.0 too): option-data needs "name" or "code", a name must have a definition
("definition for the option 'dhcp6.routers' does not exist"), a code without one takes hex data
only, an "option-def" may not redefine a standard dhcp6 option (by name or code). What differs:
codes are 16 bits, 0 is reserved ("invalid option code '0': reserved value") and the standard
definitions are Kea 2.2's DHCPv6 ones (hakea.dhcp6.options), plus the softwire (s46-*) spaces.
"""

from __future__ import annotations

from hakea.config.errors import ConfigError
from hakea.config.options_parse import BaseOptionResolver
from hakea.dhcp6.options import OTHER_SPACES_V6, OptionDef6, encode_option_data6, find_v6

DHCP6_SPACE = "dhcp6"
CODE_MAX = 0xFFFF

_OTHER_STANDARD: dict[tuple[str, str | int], OptionDef6] = {}
for _space, _defs in OTHER_SPACES_V6.items():
    for _d in _defs.values():
        _OTHER_STANDARD[(_space, _d.name)] = _d
        _OTHER_STANDARD[(_space, _d.code)] = _d


def check_code6(code: int, path: str) -> None:
    if code == 0:
        raise ConfigError(path, "invalid option code '0': reserved value")
    if not 0 < code <= CODE_MAX:
        raise ConfigError(path, f"invalid option code '{code}', it must be between 1 and {CODE_MAX}")


class OptionResolver6(BaseOptionResolver[OptionDef6]):
    SPACE = DHCP6_SPACE

    def _standard(self, name_or_code: str | int) -> OptionDef6 | None:
        return find_v6(name_or_code)

    def _other_standard(self, space: str, name_or_code: str | int) -> OptionDef6 | None:
        return _OTHER_STANDARD.get((space, name_or_code))

    def _check_code(self, code: int, path: str) -> None:
        check_code6(code, path)

    def _new_definition(
        self, name: str, code: int, type_: str, array: bool, record_types: str, space: str, encapsulate: str
    ) -> OptionDef6:
        return OptionDef6.custom(
            name, code, type_, array=array, record_types=record_types, space=space, encapsulate=encapsulate
        )

    def _encode(self, defn: OptionDef6 | None, data: str, csv_format: bool) -> bytes:
        return encode_option_data6(defn, data, csv_format)

    def code_of(self, name_or_code: str) -> int | None:
        """A dhcp6 option code from a name or decimal text (relay-supplied-options)."""
        if name_or_code.isascii() and name_or_code.isdigit():
            return int(name_or_code)
        defn = self.find(DHCP6_SPACE, name_or_code)
        return defn.code if defn is not None else None
