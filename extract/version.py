"""The parser's version, recorded with every stored report.

Bump PARSER_VERSION in the same commit as any change to extract/ or schemas/ that can
make the same file parse to a different report (a new label variant, a rule, a reader
fix): the store records it on every version, so an archive can tell which reports were
read by an older parser and need reading again.
"""

from __future__ import annotations

PARSER_VERSION = 1
"""A whole number, raised by one for each change that can change a report."""
