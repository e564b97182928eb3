from celery import shared_task

from . import export, retention


@shared_task(name="privacy.tasks.export_build")
def export_build(export_id: int) -> None:
    export.export_build(export_id=export_id)


@shared_task(name="privacy.tasks.personal_data_purge")
def personal_data_purge() -> dict[str, int]:
    return retention.personal_data_purge()
