"""`migrate` never undoes what an administrator did: the common venues are seeded once, and
the Moderators group only gets the permissions it is missing."""

from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from papers.models import Venue
from tests.conftest import common_venue


def test_migrate_keeps_a_permission_an_administrator_gave_moderators(db):
    moderators = Group.objects.get(name="Moderators")
    extra = Permission.objects.get(codename="delete_comment")
    moderators.permissions.add(extra)
    moderators.permissions.remove(Permission.objects.get(codename="view_vote"))
    call_command("migrate", verbosity=0, interactive=False)
    permissions = set(moderators.permissions.values_list("codename", flat=True))
    assert "delete_comment" in permissions  # kept
    assert "view_vote" in permissions  # missing, so added back
    assert "change_summary" in permissions


def test_migrate_does_not_bring_back_a_venue_an_administrator_deleted(db):
    common_venue("conf/icml").delete()
    Venue.objects.filter(key="conf/nips").update(name="Renamed by an admin")
    call_command("migrate", verbosity=0, interactive=False)
    assert not Venue.objects.filter(key="conf/icml").exists()
    assert Venue.objects.get(key="conf/nips").name == "Renamed by an admin"
