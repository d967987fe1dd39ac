"""A command run where a folder is a read-only file system, as on a mounted archive volume.

Permissions cannot stand in for it (the tests may run as root, who writes anyway), so the
command runs in a mount namespace of its own where `folder` is an empty tmpfs mounted
read-only; nothing outside that process sees the mount.  Where namespaces are not allowed,
the tests that need one are skipped.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest

_MOUNT = 'mount -t tmpfs -o ro gongkai-read-only "$0" && exec "$@"'


@functools.cache
def _unshare() -> list[str] | None:
    """`unshare` with the options that work here (root, or a user namespace), or None."""
    if shutil.which("unshare") is None:
        return None
    for options in (["--mount"], ["--mount", "--map-root-user"]):
        probe = subprocess.run(
            ["unshare", *options, "sh", "-c", _MOUNT, "/tmp", "true"],
            capture_output=True,
            check=False,
        )
        if probe.returncode == 0:
            return ["unshare", *options]
    return None


def run_read_only(
    folder: Path, command: list[str], env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`command` with `folder` (which must exist) an empty read-only file system."""
    unshare = _unshare()
    if unshare is None:
        pytest.skip("cannot mount a read-only file system here (no mount namespaces)")
    return subprocess.run(
        [*unshare, "sh", "-c", _MOUNT, str(folder), *command],
        env=None if env is None else dict(env),
        capture_output=True,
        encoding="utf-8",
        timeout=300,
        check=False,
    )
