from datetime import timedelta

from django.core.management.base import BaseCommand

from accounts.platform.import_tasks import KEEP_FOR, purge_import_previews


class Command(BaseCommand):
    help = (
        "Delete import previews (and large uploads waiting for their check) that nobody confirmed "
        "within a day, for every company. Run it daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--hours",
            type=float,
            default=KEEP_FOR.total_seconds() / 3600,
            help="Delete files older than this many hours (default: %(default)s).",
        )

    def handle(self, *args, hours, **options):
        removed = purge_import_previews(older_than=timedelta(hours=hours))
        self.stdout.write(f"Deleted {removed} import preview file{'s' if removed != 1 else ''}.")
