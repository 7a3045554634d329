from django.core.management.base import BaseCommand, CommandParser
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
        if failed:
            photos = photos.filter(status=Photo.Status.FAILED)
        photo_ids = list(photos.values_list("pk", flat=True))
        for photo_id in tqdm(photo_ids, desc="Renditions", unit="photo", file=self.stderr):
            photo_enqueue_renditions(photo_id=photo_id)
        done = Photo.objects.filter(pk__in=photo_ids)
        ready = done.filter(status=Photo.Status.READY).count()
        self.stdout.write(f"{len(photo_ids)} photo(s) queued; {ready} ready, {len(photo_ids) - ready} not (yet).")
