"""Zappa event handlers (see ``events`` in zappa_settings.json)."""

import logging
from typing import Any
from urllib.parse import unquote_plus

logger = logging.getLogger(__name__)


def on_upload(event: dict[str, Any], context: Any) -> list[int]:
    """S3 ObjectCreated on uploads/: make the photo's renditions. Returns the photo ids handled."""
    from media.services import photo_from_upload_event

    handled = []
    for record in event.get("Records", []):
        obj = record.get("s3", {}).get("object", {})
        key = unquote_plus(obj.get("key", ""))  # S3 event keys are URL-encoded
        photo = photo_from_upload_event(key=key, size=int(obj.get("size") or 0))
        if photo is not None:
            logger.info("upload %s -> photo %s (%s)", key, photo.pk, photo.status)
            handled.append(photo.pk)
    return handled
