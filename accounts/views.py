from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from summaries.models import Summary
from summaries.pagination import paginate

from .models import User


@require_GET
def profile(request, username):
    person = get_object_or_404(User.objects.with_username(username), is_active=True)
    if person.username != username:
        return redirect(person, permanent=True)
    summaries = Summary.objects.filter(author=person)
    if request.user == person:
        summaries = summaries.filter(deleted_at__isnull=True)
    else:
        summaries = summaries.public().filter(is_anonymous=False)
    page = paginate(request, summaries.for_listing().order_by("-created", "-pk"))
    return render(
        request,
        "accounts/profile.html",
        {"person": person, "page": page, "is_own_profile": request.user == person},
    )


@require_GET
def legacy_profile(request):
    name = request.GET.get("name", "").strip()
    if not name:
        raise Http404("No user name given.")
    return redirect(reverse("accounts:profile", args=[name]), permanent=True)


@require_GET
def user_list(request):
    writers = User.objects.filter(is_active=True, public_summary_count__gt=0).order_by(
        "-reputation", "-public_summary_count", "username"
    )
    page = paginate(request, writers, per_page=50)
    return render(request, "accounts/user_list.html", {"page": page})
