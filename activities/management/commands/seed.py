"""`manage.py seed`: put the database back to the seed content (the migrations load it once)."""

from django.core.management.base import BaseCommand, CommandError

from activities.seed import load_seed


class Command(BaseCommand):
    """Replaces every user, activity and message with the seed content, after confirmation."""

    help = "Replace all users, activities and messages with the seed data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--noinput", "--no-input", action="store_false", dest="interactive",
            help="Do not ask for confirmation.",
        )  # fmt: skip

    def handle(self, *args, interactive=True, **options):
        if interactive:
            answer = input("This deletes every user, activity and message. Type 'yes' to go on: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Seeding cancelled.")
        load_seed()
        self.stdout.write(self.style.SUCCESS("Seed data loaded."))
