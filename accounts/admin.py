from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "display_name", "reputation", "is_staff", "banned_at"]
    list_filter = ["is_staff", "is_superuser", "is_active", "email_confirmed"]
    search_fields = ["username", "email", "display_name"]
    fieldsets = [
        *BaseUserAdmin.fieldsets,
        (
            "Profile",
            {"fields": ["display_name", "bio", "orcid", "email_on_comments", "email_confirmed"]},
        ),
        ("Moderation", {"fields": ["banned_at", "ban_reason"]}),
    ]
