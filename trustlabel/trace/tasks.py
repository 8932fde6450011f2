"""Background work of the trace app, run by `trustlabel db_worker`."""

from django_tasks import task

from . import actions


@task()
def run_capture(job_id: str) -> None:
    """Store the events of a document sent to POST /epcis/capture."""
    actions.do_run_capture(job_id)
