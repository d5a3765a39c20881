"""The project's management commands answer bad input the same way: one line on stderr, exit 2.

Django answers a bad option with argparse's usage (several lines) before the error, and a
CommandError with exit status 1. A person at a shell wants the one line that says what is wrong,
and a script wants to tell "called wrongly" (2, as argparse and the Unix tools use it) from "it
failed" (1). So every command of the project subclasses `ProjectCommand`, and raises
`CommandError(..., returncode=BAD_INPUT)` for a bad value. brands, which imports no first-party
package, carries the same parser in brands/management/base.py. loopmonitor/tests/test_commands_cli.py
runs every command with bad input through manage.py.
"""

from collections.abc import Callable
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser

BAD_INPUT = 2


class ProjectCommand(BaseCommand):
    """A BaseCommand whose bad options end as one stderr line, `manage.py cmd: error: ... (see
    manage.py cmd --help)`, and exit status 2, instead of the usage first."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.error = one_line_error(parser)  # type: ignore[method-assign,assignment]
        return parser


def one_line_error(parser: CommandParser) -> Callable[[str], NoReturn]:
    """`parser.error` that exits BAD_INPUT with one line from the command line; from call_command,
    Django's own (a CommandError)."""
    django_error = parser.error

    def error(message: str) -> NoReturn:
        if not parser.called_from_command_line:
            django_error(message)
        parser.exit(BAD_INPUT, f"{parser.prog}: error: {message} (see {parser.prog} --help)\n")

    return error


def whole_days(option: str, text: str, *, minimum: int) -> int:
    """`text` as a whole number of days, `minimum` or more (one line and exit BAD_INPUT otherwise)."""
    if not text.isascii() or not text.isdigit() or int(text) < minimum:
        raise CommandError(f"{option} {text!r}: a whole number of days, {minimum} or more", returncode=BAD_INPUT)
    return int(text)
