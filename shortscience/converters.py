class BibKeyConverter:
    """A BibTeX key, arXiv key or DOI: may contain '/', ':', '.', '-', '(' and more."""

    # Anything: a stored key that a stricter pattern could not reverse would break every page
    # listing it; reverse() quotes ?, # and spaces, and unknown keys are 404s.
    regex = r".+?"

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value
