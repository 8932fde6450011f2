"""Background work of the integrity app, run by `trustlabel db_worker`."""

from django_tasks import task

from .actions import certificates


@task()
def issue_certificate_batch(batch_id: int) -> None:
    """Issue the certificates of a queued batch (`certificates.do_run_certificate_batch`)."""
    certificates.do_run_certificate_batch(batch_id)
