"""Background work of the codes app, run by `trustlabel db_worker`."""

from django_tasks import task

from . import actions


@task()
def make_export(export_id: int) -> None:
    """Make the print file of a queued export (see `actions.do_make_export`)."""
    actions.do_make_export(export_id)


@task()
def expire_export(export_id: int) -> None:
    """Delete a print file once its time is up (queued to run at that time)."""
    actions.do_expire_export(export_id)
