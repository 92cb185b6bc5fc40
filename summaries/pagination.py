from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.http import Http404


def paginate(request, queryset, per_page=None, *, clamp=True):
    """The requested page of a list. A page number that is not a number shows the first page,
    one past the end the last: an old or hand-edited link still lands somewhere useful.
    With clamp=False (the API, where a caller should learn it asked for too much) both 404."""
    paginator = Paginator(queryset, per_page or settings.PAGE_SIZE)
    raw = request.GET.get("page", "1")
    if not clamp:
        try:
            return paginator.page(raw)
        except InvalidPage:
            raise Http404("There is no such page.") from None
    try:
        number = int(raw)
    except ValueError:
        number = 1
    page = paginator.page(min(max(number, 1), paginator.num_pages))
    # Numbered links around this page, with "…" standing for the runs left out.
    page.numbered_links = list(
        paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    )
    return page
