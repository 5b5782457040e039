"""manage.py replay_expert_draw ID: replay a recorded random draw of experts from its seed."""

from typing import Any

from django.core.management.base import CommandError, CommandParser

from approvals.expert_pool import draw_from
from approvals.models import ExpertDraw
from workflows.management.base import ProjectCommand


class Command(ProjectCommand):
    help = (
        "Replay a recorded random draw of experts: the recorded seed over the recorded "
        "candidates must draw the recorded experts. Exit 1 when it does not."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("draw", type=int, help="the draw's id")

    def handle(self, *args: Any, **options: Any) -> None:
        draw = ExpertDraw.objects.filter(pk=options["draw"]).first()
        if draw is None:
            raise CommandError(f"no expert draw with id {options['draw']}", returncode=4)
        replayed = draw_from(draw.candidate_ids, seed=draw.seed, count=draw.count)
        if replayed != list(draw.drawn_ids):
            raise CommandError(
                f"draw #{draw.pk} does not replay: seed {draw.seed} draws {replayed}, "
                f"recorded {draw.drawn_ids}"
            )
        self.stdout.write(
            f"draw #{draw.pk} of request #{draw.application_id} replays: seed {draw.seed} over "
            f"{len(draw.candidate_ids)} candidates draws {replayed}"
        )
