from django import forms
from django.conf import settings

from .models import MAX_CITATIONS, Report
from .rendering import extract_citation_keys


def _check_size(source):
    size = len(source.encode("utf-8"))
    if size > settings.SUMMARY_MAX_BYTES:
        raise forms.ValidationError(
            f"This text is {size // 1024} KB; the limit is {settings.SUMMARY_MAX_BYTES // 1024} KB."
        )
    return source


def _check_citations(source):
    count = len(extract_citation_keys(source))
    if count > MAX_CITATIONS:
        raise forms.ValidationError(
            f"This text cites {count:,} different keys; a text can cite at most "
            f"{MAX_CITATIONS} papers."
        )
    return source


class SummaryForm(forms.Form):
    source = forms.CharField(
        label="Your summary",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 22, "spellcheck": "true"}),
        error_messages={"required": "A summary needs some text."},
    )
    is_private = forms.BooleanField(
        label="Private",
        required=False,
        help_text="Only you can see it, plus anyone you give its share link.",
    )
    is_anonymous = forms.BooleanField(
        label="Anonymous",
        required=False,
        help_text="Shown as “Anonymous”; your name appears nowhere on the site.",
    )
    base_revision = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def clean_source(self):
        # Browsers post textarea lines with CRLF; store what the writer typed, with plain LF.
        source = _check_size(self.cleaned_data["source"].replace("\r\n", "\n"))
        _check_citations(source)
        if not source.strip():
            raise forms.ValidationError("A summary needs some text.")
        return source


class CommentForm(forms.Form):
    source = forms.CharField(
        label="Add a comment",
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Markdown, $math$ and \\cite{key} work here; headings and images do not.",
        error_messages={"required": "A comment needs some text."},
    )

    def clean_source(self):
        source = self.cleaned_data["source"]
        if not source.strip():
            raise forms.ValidationError("A comment needs some text.")
        return _check_citations(source)


class ReportForm(forms.Form):
    reason = forms.ChoiceField(
        choices=Report.Reason.choices, widget=forms.RadioSelect, label="What is wrong?"
    )
    text = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="Anything the moderators should know (optional)",
    )
