"""Links to other sites kept on papers and venues: only http and https, whoever types them
(an import, a moderator in the admin), so that no stored link can run script when clicked."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

WEB_SCHEMES = ("http", "https")
MAX_LINKS = 20

_validate = URLValidator(schemes=list(WEB_SCHEMES), message="Enter an http:// or https:// address.")


def validate_web_url(value):
    _validate(value)


def validate_web_url_list(value):
    """For Paper.urls: a list of at most MAX_LINKS http(s) addresses."""
    if not isinstance(value, list) or not all(isinstance(url, str) for url in value):
        raise ValidationError('Enter a list of addresses, like ["https://example.org/paper"].')
    if len(value) > MAX_LINKS:
        raise ValidationError(f"Keep at most {MAX_LINKS} links.")
    for url in value:
        try:
            _validate(url)
        except ValidationError:
            raise ValidationError(
                "%(url)s is not an http:// or https:// address.", params={"url": url[:100]}
            ) from None


def is_web_url(value):
    """For pages: a stored value that predates the validators is shown only when it is safe."""
    try:
        _validate(value)
    except ValidationError:
        return False
    return True
