"""brands' commands answer bad input as every command of the project does: one stderr line, exit 2.

The project's version is loopmonitor.commands.ProjectCommand; brands imports no first-party
package (brands/tests/test_boundary.py), so it carries this twin, held to the same answers by
loopmonitor/tests/test_commands_cli.py, which runs every command with bad input.
"""

from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser

BAD_INPUT = 2


class ProjectCommand(BaseCommand):
    """A BaseCommand whose bad options end as one stderr line and exit status 2."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        django_error = parser.error

        def error(message: str) -> NoReturn:
            if not parser.called_from_command_line:
                django_error(message)
            parser.exit(BAD_INPUT, f"{parser.prog}: error: {message} (see {parser.prog} --help)\n")

        parser.error = error  # type: ignore[method-assign]
        return parser
