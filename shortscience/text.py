"""Control characters out of everything users type, before it is stored.

PostgreSQL cannot store NUL, XML (feeds, the sitemap) cannot carry most C0 controls, and none
of them belongs in a name, a title or a summary. A pre_save hook cleans every text field of
the project's own models; the feeds clean again what older rows may still hold."""

import re

from django.db import models

# C0 controls but tab, newline and carriage return; DEL; C1 controls; the two non-characters
# XML refuses. Single-line fields lose tab and newlines too (they become spaces).
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")
_LINE_BREAKS = re.compile(r"[\t\n\r]+")

PROJECT_APPS = frozenset({"accounts", "papers", "summaries"})


def strip_controls(value, *, multiline=True):
    if not isinstance(value, str):
        return value
    value = _CONTROLS.sub("", value)
    if not multiline:
        value = _LINE_BREAKS.sub(" ", value)
    return value


def clean_text_fields(sender, instance, **kwargs):
    """pre_save receiver: strip control characters from the instance's text fields."""
    if sender._meta.app_label not in PROJECT_APPS:
        return
    for field in sender._meta.concrete_fields:
        if isinstance(field, models.TextField):
            multiline = True
        elif isinstance(field, models.CharField):
            multiline = False
        else:
            continue
        value = getattr(instance, field.attname)
        if isinstance(value, str):
            cleaned = strip_controls(value, multiline=multiline)
            if cleaned != value:
                setattr(instance, field.attname, cleaned)
