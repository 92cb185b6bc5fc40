"""The Moderators group and the permissions moderation needs, added when missing by a
post_migrate handler, so every install (and every test database after a flush) has them.
It only adds: a permission an administrator gave the group stays."""

# See and hide content, work the report queue, ban users, fix paper metadata and merge
# duplicates. Nothing that edits accounts or grants rights.
MODERATOR_PERMISSIONS = {
    "summaries": [
        "view_summary",
        "change_summary",
        "view_comment",
        "change_comment",
        "view_report",
        "change_report",
        "view_revision",
        "view_vote",
        "view_citation",
        "view_moderationaction",
    ],
    "papers": [
        "view_paper",
        "change_paper",
        "view_paperalias",
        "add_paperalias",
        "change_paperalias",
        "view_venue",
        "add_venue",
        "change_venue",
        "view_author",
        "view_keyword",
        "view_authorship",
        "add_authorship",
        "change_authorship",
        "delete_authorship",
    ],
    "accounts": ["view_user", "ban_user"],
}


def ensure_moderators_group(**kwargs):
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    wanted = Q()
    for app_label, codenames in MODERATOR_PERMISSIONS.items():
        wanted |= Q(content_type__app_label=app_label, codename__in=codenames)
    group, _ = Group.objects.get_or_create(name="Moderators")
    # Only what is missing: a right an administrator took away or gave stays as they left it.
    group.permissions.add(*Permission.objects.filter(wanted).exclude(group=group))
