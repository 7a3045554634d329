"""Zappa async tasks of the media app. Arguments are ids; every task is idempotent."""

from zappa.asynchronous import task


@task
def make_photo_renditions(photo_id: int) -> None:
    from media.services import photo_render

    photo_render(photo_id=photo_id)
