"""The one exception configuration loading raises: it names the offending key's path.

Paths read like "Dhcp4/subnet4[0]/pools[1]/pool", so an operator finds the key without counting
braces; a JSON syntax error names "source:line:column" instead.
"""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration Kea 2.2 would refuse (or that hakea cannot run), with the key path."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class JsonSyntaxError(ConfigError):
    """The text is not (Kea-flavoured) JSON; `path` is "source:line:column" (1-based)."""

    def __init__(self, source: str, line: int, column: int, reason: str) -> None:
        super().__init__(f"{source}:{line}:{column}", reason)
        self.source = source
        self.line = line
        self.column = column
