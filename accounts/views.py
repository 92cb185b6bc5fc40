from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from shortscience import pagecache, ratelimit
from shortscience.pagecache import tag
from summaries import exporting
from summaries.account_deletion import delete_account
from summaries.cards import summary_cards
from summaries.invalidation import writers_changed
from summaries.models import Summary, render_comment_source
from summaries.pagination import paginate
from summaries.readership import readership

from . import outbox
from .forms import (
    ChangeEmailForm,
    DeleteAccountForm,
    SettingsForm,
    SignupForm,
    accounts_using_email,
    address_in_use,
)
from .models import User
from .throttling import remember_device
from .tokens import (
    confirmation_url,
    email_change_url,
    user_from_confirmation_token,
    user_from_email_change_token,
    user_from_unsubscribe_token,
)


@require_GET
def profile(request, username):
    person = get_object_or_404(User.objects.with_username(username), is_active=True)
    if person.username != username:
        return redirect(person, permanent=True)
    pagecache.depends_on(request, tag("user", person.pk))
    summaries = Summary.objects.filter(author=person)
    if request.user == person:
        summaries = summaries.filter(deleted_at__isnull=True)
    else:
        summaries = summaries.public().filter(is_anonymous=False)
    page = paginate(request, summaries.with_vote_of(request.user).order_by("-created", "-pk"))
    return render(
        request,
        "accounts/profile.html",
        {
            "person": person,
            "page": page,
            "cards": summary_cards(request, page.object_list),
            "is_own_profile": request.user == person,
        },
    )


@require_GET
def legacy_profile(request):
    name = request.GET.get("name", "").strip()
    if not name:
        raise Http404("No user name given.")
    return redirect(reverse("accounts:profile", args=[name]), permanent=True)


@require_GET
def user_list(request):
    pagecache.depends_on(request, pagecache.SITE_LISTINGS)
    writers = User.objects.filter(is_active=True, public_summary_count__gt=0).order_by(
        "-reputation", "-public_summary_count", "username"
    )
    page = paginate(request, writers, per_page=50)
    return render(request, "accounts/user_list.html", {"page": page})


# Sign-up, confirmation, settings, export and deletion ------------------------------------------


def send_confirmation_email(request, user, *, changing=False):
    """Queue the confirmation link (to the new address when `changing` it); the worker sends
    it, retrying while the mail server is down. Returns True: queued mail is not lost."""
    link = email_change_url(user) if changing else confirmation_url(user)
    address = user.pending_email if changing else user.email
    body = render_to_string(
        "emails/confirm_email.txt", {"person": user, "link": link, "changing": changing}
    )
    outbox.queue_mail(
        to=address,
        subject="Confirm your e-mail address for ShortScience",
        body=body,
        kind="email-change" if changing else "confirmation",
        recipient=user,
    )
    return True


def send_address_in_use_notice(user, owners):
    """Instead of a confirmation link, tell the owners of a reused address what happened."""
    body = {
        owner.email: render_to_string(
            "emails/signup_address_in_use.txt",
            {
                "owner": owner,
                "newcomer": user,
                "login_url": settings.SITE_URL + reverse("login"),
                "reset_url": settings.SITE_URL + reverse("password_reset"),
            },
        )
        for owner in owners
    }
    for owner in owners:
        outbox.queue_mail(
            to=owner.email,
            subject="Someone signed up on ShortScience with your address",
            body=body[owner.email],
            kind="address-in-use",
            recipient=owner,
        )
    return True


def send_confirmation_or_notice(request, user):
    """The confirmation link, unless another account already uses the address: then its owner
    is told instead, and the newcomer's answer is the same (it tells nobody what is registered)."""
    owners = list(accounts_using_email(user.email).exclude(pk=user.pk).order_by("pk")[:3])
    if owners:
        return send_address_in_use_notice(user, owners)
    return send_confirmation_email(request, user)


def signup(request):
    if request.user.is_authenticated:
        return redirect("summaries:home")
    if request.method == "POST":
        form = SignupForm(request.POST)
        address = ratelimit.client_address(request)
        # Only accounts actually created count: typos in the form use up nothing.
        if ratelimit.count("signup-address", address, window=3600) >= settings.SIGNUPS_PER_ADDRESS:
            form.add_error(None, "Too many new accounts from your network; try again in an hour.")
            return render(request, "registration/signup.html", {"form": form}, status=429)
        if form.is_valid():
            user = form.save()
            ratelimit.hit("signup-address", address, window=3600)
            send_confirmation_or_notice(request, user)
            login(request, user, backend="accounts.backends.UsernameOrEmailBackend")
            messages.success(
                request,
                f"Welcome, {user.username}! We sent an e-mail to {user.email}: follow its "
                "link to confirm your address.",
            )
            response = redirect(_safe_next(request) or "summaries:home")
            remember_device(request, response, user)
            return response
    else:
        form = SignupForm()
    return render(request, "registration/signup.html", {"form": form})


def _safe_next(request):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def confirm_email(request, token):
    """GET shows a button, POST confirms: mail scanners that open links confirm nothing."""
    person = user_from_confirmation_token(token)
    if person is None:
        return render(request, "registration/confirm_email.html", {"invalid": True}, status=400)
    if request.method == "POST":
        if not person.email_confirmed:
            User.objects.filter(pk=person.pk).update(email_confirmed=True)
        messages.success(request, f"Thank you: {person.email} is confirmed.")
        return redirect("summaries:home")
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "registration/confirm_email.html", {"person": person})


@require_POST
@login_required
def resend_confirmation(request):
    if request.user.email_confirmed:
        messages.info(request, "Your address is already confirmed.")
    elif not ratelimit.allow(user=request.user, action="email"):
        messages.error(request, ratelimit.limit_for("email").message)
    else:
        send_confirmation_or_notice(request, request.user)
        messages.success(request, f"We sent a new link to {request.user.email}.")
    return redirect("accounts:settings")


@login_required
def account_settings(request):
    if request.method == "POST":
        form = SettingsForm(request.POST, instance=request.user)
        if form.is_valid():
            user = form.save(commit=False)
            user.render_bio(render_comment_source)
            user.save()
            if {"display_name", "bio"} & set(form.changed_data):  # shown on cards and profile
                writers_changed(user_ids=[request.user.pk])
            messages.success(request, "Your settings are saved.")
            return redirect("accounts:settings")
    elif request.method == "GET":
        form = SettingsForm(instance=request.user)
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(
        request,
        "accounts/settings.html",
        {
            "form": form,
            "email_form": ChangeEmailForm(user=request.user),
            "readership": readership(request.user),
        },
    )


@require_POST
@login_required
def change_email(request):
    """Ask for a new address: it takes effect when the link sent to it is opened."""
    form = ChangeEmailForm(request.POST, user=request.user)
    if not form.is_valid():
        return render(
            request,
            "accounts/settings.html",
            {
                "form": SettingsForm(instance=request.user),
                "email_form": form,
                "readership": readership(request.user),
            },
            status=400,
        )
    if not ratelimit.allow(user=request.user, action="email"):
        messages.error(request, ratelimit.limit_for("email").message)
        return redirect("accounts:settings")
    user = request.user
    user.pending_email = form.cleaned_data["email"]
    user.save(update_fields=["pending_email"])
    if send_confirmation_email(request, user, changing=True):
        messages.success(
            request,
            f"We sent a link to {user.pending_email}. Your address stays {user.email} until "
            "you open it.",
        )
    else:
        messages.error(request, "We could not send the e-mail just now; please try later.")
    return redirect("accounts:settings")


def confirm_email_change(request, token):
    """GET shows a button, POST switches the address (mail scanners that open links change
    nothing)."""
    person = user_from_email_change_token(token)
    if person is None:
        return render(request, "registration/confirm_email.html", {"invalid": True}, status=400)
    if request.method == "POST":
        if address_in_use(person.pending_email, except_user=person):
            User.objects.filter(pk=person.pk).update(pending_email="")
            messages.error(request, "Another account uses that address by now; nothing changed.")
            return redirect("summaries:home")
        new = person.pending_email
        User.objects.filter(pk=person.pk).update(email=new, pending_email="", email_confirmed=True)
        messages.success(request, f"Thank you: your address is {new} from now on.")
        return redirect("summaries:home")
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "registration/confirm_email.html", {"person": person, "changing": True})


EXPORTS = {
    # format: (builder, content type, file name suffix)
    "csv": (exporting.summaries_as_csv, "text/csv; charset=utf-8", "summaries.csv"),
    "json": (exporting.summaries_as_json, "application/json", "summaries.json"),
    "bib": (exporting.papers_as_bibtex, "text/x-bibtex; charset=utf-8", "papers.bib"),
    "everything": (exporting.everything_as_json, "application/json", "everything.json"),
}


@require_GET
@login_required
def export(request, fmt):
    build, content_type, suffix = EXPORTS[fmt]
    response = HttpResponse(build(request.user), content_type=content_type)
    filename = f"shortscience-{request.user.username}-{suffix}"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def delete_own_account(request):
    if request.method == "POST":
        form = DeleteAccountForm(request.POST, user=request.user)
        if form.is_valid():
            user = request.user
            logout(request)
            delete_account(user=user, delete_public_summaries=form.cleaned_data["delete_summaries"])
            messages.success(request, "Your account is deleted. Thank you for your summaries.")
            return redirect("summaries:home")
    elif request.method == "GET":
        form = DeleteAccountForm(user=request.user)
    else:
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "accounts/delete.html", {"form": form})


@csrf_exempt  # RFC 8058 one-click: the mail client POSTs without our form; the token suffices
def unsubscribe(request, token):
    """Stop comment e-mails from the link in one (GET asks, POST does it)."""
    person = user_from_unsubscribe_token(token)
    if person is None:
        raise Http404("That unsubscribe link is not valid.")
    if request.method == "POST":
        User.objects.filter(pk=person.pk).update(email_on_comments=False)
        return render(request, "accounts/unsubscribe.html", {"person": person, "done": True})
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return render(request, "accounts/unsubscribe.html", {"person": person})
