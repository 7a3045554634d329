"""Upload local photos through the same path as the admin: presigned POST to S3, then accept."""

import mimetypes
from pathlib import Path

import requests
from botocore.exceptions import BotoCoreError, ClientError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from media import bucket
from media.models import Photo
from media.services import UploadRejected, photo_create_from_upload, photo_upload_presign


class Command(BaseCommand):
    help = "Upload image files as photos (straight to S3 with a presigned POST) and make their renditions."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, help="image files to import")
        parser.add_argument("--title", help="title for the photos (default: the file name)")
        parser.add_argument("--alt", help="alt text for the photos (default: the title)")

    def handle(self, *args: object, files: list[Path], title: str | None, alt: str | None, **options: object) -> None:
        failures = 0
        for path in tqdm(files, desc="Importing", unit="photo", disable=len(files) < 2, file=self.stderr):
            try:
                photo = self._imported_before(path)
                skipped = photo is not None
                photo = photo or self._import(path, title or path.stem.replace("_", " ").replace("-", " "), alt)
            except (OSError, UploadRejected, requests.RequestException, BotoCoreError, ClientError) as exc:
                failures += 1
                self.stderr.write(self.style.ERROR(f"{path}: {getattr(exc, 'message', exc)}"))
                continue
            self.stdout.write(
                f"{path}: photo {photo.pk} {photo.status}{', imported before: skipped' if skipped else ''}"
                f"{' — ' + photo.failure_reason if photo.failure_reason else ''}"
            )
            for rendition in photo.rendition_urls():
                self.stdout.write(f"  {rendition['width']:>5} {rendition['format']:<4} {rendition['url']}")
        if failures:
            raise CommandError(f"{failures} of {len(files)} file(s) could not be imported.")

    def _imported_before(self, path: Path) -> Photo | None:
        """The photo whose original has exactly this file's bytes, so a second run (or a copy under
        another name) makes no duplicate. Only originals of the same size are read back."""
        data: bytes | None = None
        for photo in Photo.objects.filter(bytes=path.stat().st_size).order_by("pk"):
            data = data if data is not None else path.read_bytes()
            if bucket.read(photo.original.name) == data:
                return photo
        return None

    def _import(self, path: Path, title: str, alt: str | None) -> Photo:
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        size = path.stat().st_size
        upload = photo_upload_presign(filename=path.name, content_type=content_type, size=size)
        with (
            path.open("rb") as handle,
            tqdm.wrapattr(
                handle, "read", total=size, desc=path.name, unit="B", unit_scale=True, leave=False, file=self.stderr
            ) as wrapped,
        ):
            response = requests.post(
                upload["url"],
                data=upload["fields"],
                files={"file": (path.name, wrapped, content_type)},
                timeout=300,
            )
        if response.status_code >= 300:
            raise UploadRejected(f"S3 refused the upload: HTTP {response.status_code} {response.text[:200]}")
        photo = photo_create_from_upload(key=str(upload["key"]), title=title[:200], alt_text=(alt or title)[:500])
        photo.refresh_from_db()  # renditions were made on commit (in-process off Lambda)
        return photo
