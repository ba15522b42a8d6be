import sys

from django.core.management.base import BaseCommand, CommandError

from annotation.errors import HyokaError


class HyokaCommand(BaseCommand):
    """A command whose domain errors end it with exit status 1 and their message as one line.

    From the command line the line is exactly the message (``FILE:LINE: field: reason``
    for imports); from ``call_command`` a CommandError carries it.
    """

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except HyokaError as error:
            if getattr(self, "_called_from_command_line", False):
                self.stderr.write(str(error))
                sys.exit(1)
            raise CommandError(str(error)) from error
