"""manage.py simulate_policy FILE [--call ID] [--language zh|en]: what-if, writes nothing."""

from typing import Any

from django.core.management.base import CommandError, CommandParser

from approvals.management.commands.load_policy import read_policy_file, refusal_for
from approvals.policy import PolicyValidationError, load_policy_text
from approvals.simulation import OPEN_STATUSES, format_simulation, simulate
from workflows.errors import DomainError
from workflows.management.base import ProjectCommand
from workflows.models import FundingCall


class Command(ProjectCommand):
    help = (
        "Evaluate every open application (submitted … deferred) of a call under a draft policy "
        "beside the policy in force, and print per application the old and new amount and "
        "eligibility, and per funding department the totals against the budgets. Nothing is "
        "stored. Without --call, every call with open applications."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the draft policy document (YAML or JSON)")
        parser.add_argument("--call", type=int, help="the funding call's id")
        parser.add_argument("--language", choices=("zh", "en"), default="zh")

    def handle(self, *args: Any, **options: Any) -> None:
        path = options["file"]
        try:
            draft = load_policy_text(read_policy_file(path))
        except PolicyValidationError as exc:
            raise refusal_for(path, exc) from exc
        if options["call"] is not None:
            calls = list(FundingCall.objects.filter(pk=options["call"]))
            if not calls:
                raise CommandError(f"no funding call with id {options['call']}", returncode=4)
        else:
            calls = list(
                FundingCall.objects.filter(applications__status__in=OPEN_STATUSES)
                .distinct()
                .order_by("pk")
            )
            if not calls:
                self.stdout.write("no call has open applications")
        for call in calls:
            try:
                simulation = simulate(draft, call=call)
            except DomainError as exc:
                raise CommandError(str(exc.message), returncode=exc.exit_code) from exc
            self.stdout.write(format_simulation(simulation, language=options["language"]))
