"""The exception tree: only these become clean CLI errors (exit 1).

Problems in user data are ``zonekit.issues.Issue`` records, not exceptions.
"""


class ZonekitError(Exception):
    """Root of every error zonekit reports to the user in Chinese."""


class SchemeError(ZonekitError):
    """An indicator scheme cannot be found or read."""


class ProjectError(ZonekitError):
    """A project folder or its project workbook cannot be used."""


class WorkbookError(ZonekitError):
    """A workbook cannot be opened or written."""


class MailError(ZonekitError):
    """Mail cannot be prepared or sent."""


class OutputError(ZonekitError):
    """An output cannot be written or replaced (open in Excel, read-only, a folder in its place …)."""


class Terminated(KeyboardInterrupt):
    """The process was asked to stop (SIGTERM): handled like Ctrl-C, so every cleanup runs and no output is half
    replaced."""


class LedgerError(ZonekitError):
    """The project's ledger of returns cannot be opened or written (locked by another run, damaged, too new)."""
