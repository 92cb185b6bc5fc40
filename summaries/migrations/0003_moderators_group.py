from django.contrib.auth.management import create_permissions
from django.db import migrations

# Exactly what moderation needs: see and hide content, work the report queue, ban users,
# fix paper metadata and merge duplicates. Nothing that edits accounts or grants rights.
MODERATOR_PERMISSIONS = {
    "summaries": [
        "view_summary", "change_summary", "view_comment", "change_comment", "view_report",
        "change_report", "view_revision", "view_vote", "view_citation",
        "view_moderationaction",
    ],
    "papers": [
        "view_paper", "change_paper", "view_paperalias", "add_paperalias", "change_paperalias",
        "view_venue", "add_venue", "change_venue", "view_author", "view_keyword",
        "view_authorship", "add_authorship", "change_authorship", "delete_authorship",
    ],
    "accounts": ["view_user", "ban_user"],
}


def create_moderators_group(apps, schema_editor):
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name="Moderators")
    for app_label, codenames in MODERATOR_PERMISSIONS.items():
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label=app_label, codename__in=codenames)
        )


def remove_moderators_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Moderators").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("summaries", "0002_moderationaction"),
        ("accounts", "0002_alter_user_options"),
        ("papers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_moderators_group, remove_moderators_group)]
