"""The association's pages of benchmark enterprises: the programme's list with the year's
totals, and one page per enterprise that follows it through the year. Enterprises do not
see them: the association tracks, it does not report to the tracked."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from trustlabel.accounts.forms import add_action_errors
from trustlabel.accounts.views import association_page, posted

from ..actions import benchmarks as actions
from ..benchmark_tracking import overview, tracking
from ..forms.benchmarks import BenchmarkForm, BenchmarkNoteForm, ProgrammeForm
from ..models import MAX_BENCHMARKS, Benchmark, Programme


def _chosen_programme(request) -> tuple[ProgrammeForm, Programme | None]:
    """The programme asked for, or the newest one."""
    programme = Programme.objects.first()
    if "programme" not in request.GET:
        return ProgrammeForm(initial={"programme": programme}), programme
    form = ProgrammeForm(request.GET)
    if form.is_valid():
        programme = form.cleaned_data["programme"]
    return form, programme  # an unknown one shows its error above the newest


@association_page
def benchmarks(request):
    choice, programme = _chosen_programme(request)
    if programme is None:
        return render(request, "integrity/benchmarks/list.html", {"choice": choice})
    form = BenchmarkForm(programme, *posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            benchmark = actions.do_name_benchmark(
                request.actor,
                programme,
                form.cleaned_data["organisation"],
                form.cleaned_data["reason"],
            )
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(
                request,
                _("%(enterprise)s is now a benchmark enterprise.")
                % {"enterprise": benchmark.organisation.name},
            )
            return redirect(_list_url(programme))
    rows = overview(request.actor, programme)
    return render(
        request,
        "integrity/benchmarks/list.html",
        {
            "choice": choice,
            "programme": programme,
            "rows": rows,
            "form": form,
            "limit": MAX_BENCHMARKS,
            "full": len(rows) >= MAX_BENCHMARKS,
        },
    )


def _list_url(programme: Programme) -> str:
    return f"{reverse('programmes:benchmarks')}?{urlencode({'programme': programme.pk})}"


def _benchmark(pk: int) -> Benchmark:
    return get_object_or_404(
        Benchmark.objects.select_related("programme", "organisation", "named_by"), pk=pk
    )


@association_page
def benchmark(request, pk: int):
    benchmark = _benchmark(pk)
    form = BenchmarkNoteForm(*posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            note = actions.do_add_benchmark_note(request.actor, benchmark, **form.cleaned_data)
        except ValidationError as e:
            add_action_errors(form, e)
        else:
            messages.success(
                request,
                _("The visit is recorded.")
                if note.kind == note.Kind.VISIT
                else _("The note is recorded."),
            )
            return redirect("programmes:benchmark", pk=benchmark.pk)
    seen = tracking(request.actor, benchmark)
    year = seen.year
    enterprise = benchmark.organisation_id
    return render(
        request,
        "integrity/benchmarks/detail.html",
        {
            "benchmark": benchmark,
            "programme_name": benchmark.programme.display_name(get_language()),
            "seen": seen,
            "form": form,
            "list_url": _list_url(benchmark.programme),
            "scan_log_query": urlencode(
                {"enterprise": enterprise, "date_from": year.first, "date_to": year.last}
            ),
            "copies_query": urlencode({"enterprise": enterprise}),
        },
    )


@require_POST
@association_page
def remove_benchmark(request, pk: int):
    benchmark = _benchmark(pk)
    actions.do_remove_benchmark(request.actor, benchmark)
    messages.success(
        request,
        _("%(enterprise)s is no longer a benchmark enterprise.")
        % {"enterprise": benchmark.organisation.name},
    )
    return redirect(_list_url(benchmark.programme))
