from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404


def paginate(request, queryset, per_page=None):
    """The requested page of a list; a page past the end or a nonsense number is a 404."""
    paginator = Paginator(queryset, per_page or settings.PAGE_SIZE)
    number = request.GET.get("page", "1")
    try:
        return paginator.page(number)
    except PageNotAnInteger:
        raise Http404("That page number is not a number.") from None
    except EmptyPage:
        raise Http404("There is no such page.") from None
