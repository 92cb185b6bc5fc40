class BibKeyConverter:
    """A BibTeX key, arXiv key or DOI: may contain '/', ':', '.', '-', '(' and more."""

    regex = r"[^?#\s]+?"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value
