"""Print files are deleted when their 24 hours are up, by the worker itself."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from trustlabel.codes import actions
from trustlabel.codes.exports import export_path
from trustlabel.codes.models import Export

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db(transaction=True)
def test_it_has_the_worker_delete_a_print_file_when_it_expires(settings):
    from trustlabel.conftest import build_world

    settings.TASKS = DB_TASKS
    world = build_world()
    export = actions.do_request_export(world.enterprise.actor, world.open_order, "csv")
    tasks = {t.task_path.rsplit(".", 1)[-1]: t for t in DBTaskResult.objects.all()}
    assert set(tasks) == {"make_export", "expire_export"}
    assert tasks["expire_export"].run_after == export.expires_at

    # The worker makes the file now and leaves the deferred deletion for later.
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*")
    export.refresh_from_db()
    assert export.status == Export.Status.READY
    assert export_path(export).exists()

    # Once the time is up, the same deferred task deletes it.
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    DBTaskResult.objects.filter(pk=tasks["expire_export"].pk).update(run_after=timezone.now())
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*")
    export.refresh_from_db()
    assert export.status == Export.Status.EXPIRED
    assert not export_path(export).exists()


def test_it_leaves_a_print_file_alone_before_its_time(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = actions.do_request_export(world.enterprise.actor, world.open_order, "csv")
    export.refresh_from_db()
    assert export.status == Export.Status.READY
    assert actions.do_expire_export(export.pk) is False
    assert export_path(export).exists()
    later = export.expires_at + dt.timedelta(seconds=1)
    assert actions.do_expire_export(export.pk, now=later) is True
    export.refresh_from_db()
    assert export.status == Export.Status.EXPIRED
    assert not export_path(export).exists()
