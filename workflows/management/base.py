"""The base of every management command of the project: whatever goes wrong ends the command
with a non-zero exit and one line saying what to fix, never a traceback.

A refusal of the domain keeps its own exit code (``DomainError.exit_code``); a file or folder
the command cannot use names the path and the reason; a database that is not migrated, or not
reachable, says so and how to set it up.
"""

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, OperationalError, ProgrammingError

from workflows.errors import DomainError


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class ProjectCommand(BaseCommand):
    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except CommandError:
            raise
        except DomainError as exc:
            raise CommandError(
                first_line(Exception(exc.message)), returncode=exc.exit_code
            ) from exc
        except OSError as exc:
            where = f"{exc.filename}: " if exc.filename else ""
            raise CommandError(f"{where}{exc.strerror or first_line(exc)}", returncode=2) from exc
        except (OperationalError, ProgrammingError) as exc:
            raise CommandError(
                f"the database is not ready ({first_line(exc)}): check DATABASE_URL and run "
                "`manage.py migrate`",
                returncode=2,
            ) from exc
        except DatabaseError as exc:
            raise CommandError(f"the database refused: {first_line(exc)}", returncode=2) from exc
        except ImproperlyConfigured as exc:
            raise CommandError(first_line(exc), returncode=2) from exc
