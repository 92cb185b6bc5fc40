import hashlib

from django import forms
from django.template.defaultfilters import filesizeformat

from .importing import decode_bibtex_bytes

MAX_BIBTEX_BYTES = 5 * 1024 * 1024


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class AddPapersForm(forms.Form):
    bibtex = forms.CharField(
        label="BibTeX",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "bibtex-input"}),
        help_text="One or more entries, as dblp, Google Scholar or your reference manager "
        "exports them.",
    )
    file = forms.FileField(
        label="Or upload a .bib file",
        required=False,
        help_text="Up to 5 MB; UTF-8, or Latin-1 when the file is not UTF-8. "
        "A file replaces the text above.",
        widget=forms.ClearableFileInput(attrs={"accept": ".bib,.bibtex,.txt,text/x-bibtex"}),
    )
    # The SHA-256 of the text the user saw previewed: an import confirms exactly that text.
    previewed = forms.CharField(required=False, widget=forms.HiddenInput)

    too_large = False

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        self.encoding = "UTF-8"
        if upload:
            if upload.size > MAX_BIBTEX_BYTES:
                self.too_large = True
                raise forms.ValidationError(
                    f"The file is {filesizeformat(upload.size)}; the limit is 5 MB. "
                    "Split it, or ask an administrator to run the bulk import."
                )
            text, self.encoding = decode_bibtex_bytes(upload.read())
        else:
            text = cleaned.get("bibtex", "")
            if len(text.encode("utf-8", "surrogatepass")) > MAX_BIBTEX_BYTES:
                self.too_large = True
                raise forms.ValidationError(
                    "The text is larger than 5 MB. Split it into smaller parts."
                )
        text = text.replace("\r\n", "\n")
        if not text.strip():
            raise forms.ValidationError("Paste BibTeX entries or choose a .bib file.")
        cleaned["text"] = text
        cleaned["digest"] = digest_of(text)
        return cleaned
