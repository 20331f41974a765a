import datetime as dt

from django.core.management.base import BaseCommand

from jiliang.verification.scheduling import reminder_stages, send_reminders


class Command(BaseCommand):
    help = "Send the due-date reminders reached today (stages from JILIANG_REMINDER_STAGES), each once."

    def add_arguments(self, parser):
        parser.add_argument("--region", metavar="CODE")
        parser.add_argument("--as-of", dest="as_of", type=dt.date.fromisoformat, default=None)

    def handle(self, *args, region=None, as_of=None, **options):
        sent = send_reminders(as_of, region)
        self.stdout.write(f"sent {sent:,} reminders (stages {', '.join(map(str, reminder_stages()))} days)")
