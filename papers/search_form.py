from django import forms
from django.db.models import Value
from django.db.models.functions import Coalesce, Lower, NullIf

from .models import Venue

YEARS = {"min_value": 1000, "max_value": 2999, "required": False}


class SearchForm(forms.Form):
    q = forms.CharField(label="Search", max_length=300, required=False)
    venue = forms.ModelChoiceField(
        # Sorted by the name the list shows (the short name when there is one).
        Venue.objects.order_by(Lower(Coalesce(NullIf("short_name", Value("")), "name"))),
        to_field_name="key",
        required=False,
        empty_label="Any",
    )
    year_from = forms.IntegerField(label="From year", **YEARS)
    year_to = forms.IntegerField(label="To year", **YEARS)
    has_summaries = forms.BooleanField(label="Only papers with summaries", required=False)

    def search_arguments(self):
        """Keyword arguments for papers.search.search() from the validated filters."""
        data = self.cleaned_data
        return {
            "venue": data["venue"].key if data["venue"] else None,
            "year_from": data["year_from"],
            "year_to": data["year_to"],
            "has_summaries": data["has_summaries"],
        }
