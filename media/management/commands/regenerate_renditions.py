from botocore.exceptions import BotoCoreError, ClientError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from media.models import Photo
from media.services import photo_enqueue_renditions


class Command(BaseCommand):
    help = "Make the renditions of photos again (all, or the given ids); safe to repeat."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="photo ids (default: every photo)")
        parser.add_argument("--failed", action="store_true", help="only photos whose renditions failed")

    def handle(self, *args: object, ids: list[int], failed: bool, **options: object) -> None:
        photos = Photo.objects.order_by("pk")
        if ids:
            photos = photos.filter(pk__in=ids)
            # A mistyped id would otherwise be skipped without a word.
            unknown = sorted(set(ids) - set(photos.values_list("pk", flat=True)))
            if unknown:
                raise CommandError(f"No photo with id {', '.join(map(str, unknown))} (nothing was done).")
        if failed:
            photos = photos.filter(status=Photo.Status.FAILED)
        photo_ids = list(photos.values_list("pk", flat=True))
        errors: list[int] = []
        for photo_id in tqdm(photo_ids, desc="Renditions", unit="photo", file=self.stderr):
            try:
                photo_enqueue_renditions(photo_id=photo_id)
            except (BotoCoreError, ClientError) as exc:  # S3 down or refusing: the others may still work
                errors.append(photo_id)
                self.stderr.write(self.style.ERROR(f"photo {photo_id}: {exc}"))
        queued = [photo_id for photo_id in photo_ids if photo_id not in errors]
        ready = Photo.objects.filter(pk__in=queued, status=Photo.Status.READY).count()
        self.stdout.write(f"{len(queued)} photo(s) queued; {ready} ready, {len(queued) - ready} not (yet).")
        if errors:
            raise CommandError(
                f"{len(errors)} of {len(photo_ids)} photo(s) failed ({', '.join(map(str, errors))}); "
                "run the command again for them (it is safe to repeat)."
            )
