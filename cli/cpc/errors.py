"""Errors a user can cause, and a stopped command. The CLI prints each as one line, no traceback."""


class UserError(Exception):
    """A problem with the user's input, files, rules or warehouse: shown as one line
    (``error: ...``), exit code 2."""


class Interrupted(Exception):
    """The user stopped a command (Ctrl-C): shown as one line (``interrupted: ...``), exit code
    130. Raised in place of KeyboardInterrupt once the command has recorded that it stopped."""
