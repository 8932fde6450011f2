from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def products(request):
    return render(request, "portal/home.html", {})
