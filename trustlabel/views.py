from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from trustlabel.accounts.access import Actor


@login_required
def portal_home(request):
    actor = Actor.of_user(request.user)
    if actor is None:
        return render(request, "portal/no_organisation.html", status=403)
    if actor.is_enterprise or actor.is_association:
        return redirect("catalog:products")
    if actor.is_distributor:
        return redirect("trace:scan")
    if actor.is_inspector:
        return redirect("trace:inspect")
    return render(request, "portal/home.html", {"actor": actor})
