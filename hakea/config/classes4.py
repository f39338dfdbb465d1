""" "client-classes" -> ClientClassDef, each "test" compiled once to refuse bad expressions.

Kea 2.2 (checked with kea-dhcp4 -t): a class needs a non-empty unique name; member('X') must name
a built-in class (ALL, KNOWN, UNKNOWN, BOOTP, or HA_/VENDOR_CLASS_/AFTER_/EXTERNAL_ prefixed) or a
class defined earlier in the list ("Not defined client class 'X'"; DROP too must be defined);
ALL, KNOWN, UNKNOWN and BOOTP may be defined only to carry options, not with a test. A class may
have its own "option-def" list, used by its own "option-data". kea-dhcp6 2.2 applies the same
rules to DHCPv6 classes (v6 expressions, preferred-lifetime, no option-def/next-server/...): pass
family=6 and the keys6 table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hakea.classify import ExpressionError, compile_expression
from hakea.config import keys4
from hakea.config.errors import ConfigError
from hakea.config.model import ClientClassDef
from hakea.config.network import FILE_MAX, SNAME_MAX, lifetime
from hakea.config.options_parse import BaseOptionResolver
from hakea.config.values import Kind, as_list, as_map, check_keys, check_length, parse_ipv4, require

_TESTLESS_BUILTINS = frozenset({"ALL", "KNOWN", "UNKNOWN", "BOOTP"})


def parse_client_classes(
    value: Any,
    path: str,
    resolver: BaseOptionResolver[Any],
    *,
    family: int = 4,
    table: Mapping[str, Kind] = keys4.CLIENT_CLASS,
) -> tuple[ClientClassDef, ...]:
    defined: set[str] = set()
    classes: list[ClientClassDef] = []
    for i, entry in enumerate(as_list(value, path)):
        item_path = f"{path}[{i}]"
        obj = as_map(entry, item_path)
        check_keys(obj, item_path, table)
        name: str = require(obj, "name", item_path)
        if not name:
            raise ConfigError(f"{item_path}/name", "a client class name must not be empty")
        if name in defined:
            raise ConfigError(f"{item_path}/name", f"client class '{name}' has already been defined")
        test: str = obj.get("test", "")
        if "test" in obj:
            if name in _TESTLESS_BUILTINS and test:
                raise ConfigError(
                    f"{item_path}/test", f"built-in class '{name}' test expression must be empty"
                )
            try:
                # defined_classes: only classes before this one (Kea evaluates in list order).
                compile_expression(test, family=family, defined_classes=frozenset(defined))
            except ExpressionError as exc:
                raise ConfigError(f"{item_path}/test", str(exc)) from None
        local = resolver
        if "option-def" in obj:
            local = resolver.with_definitions(obj["option-def"], f"{item_path}/option-def")
        triplet = lifetime(obj, item_path)
        preferred = lifetime(obj, item_path, "preferred-lifetime")
        classes.append(
            ClientClassDef(
                name=name,
                test=test,
                option_data=local.option_data_list(obj.get("option-data"), f"{item_path}/option-data"),
                only_if_required=obj.get("only-if-required", False),
                next_server=parse_ipv4(obj["next-server"], f"{item_path}/next-server")
                if "next-server" in obj
                else None,
                server_hostname=check_length(obj, "server-hostname", item_path, SNAME_MAX),
                boot_file_name=check_length(obj, "boot-file-name", item_path, FILE_MAX),
                valid_lifetime=triplet[1] if triplet is not None else None,
                preferred_lifetime=preferred[1] if preferred is not None else None,
            )
        )
        defined.add(name)
    return tuple(classes)
