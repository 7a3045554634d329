"""Zappa async tasks of the notifications app. Arguments are ids; every task is idempotent."""

from zappa.asynchronous import task


@task
def send_welcome_email(subscriber_id: int) -> None:
    from notifications.services import subscriber_send_welcome

    subscriber_send_welcome(subscriber_id=subscriber_id)
