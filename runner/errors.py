"""Errors the runner reports to its users.

`InputError` is for anything the user can fix (a wrong file, band, CRS, field or date): its message is one
readable line naming the culprit, shown as-is by the CLI (exit code 2), the API (4xx) and the plugin.
"""


class InputError(Exception):
    """Bad input from the user; the message names the file, layer, band, CRS, field or date at fault."""


class Cancelled(Exception):
    """The job was cancelled by the user; raised between steps by JobContext.check_cancel()."""


class ResourceError(Exception):
    """The job would not fit (memory, disk, size limit); raised before starting where possible."""
