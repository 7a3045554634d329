"""HTML pages of the blog and robots.txt."""

from django.conf import settings
from django.core.paginator import InvalidPage, Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import escape_uri_path
from taggit.models import Tag

from myblog.blog.caching import public_cache
from myblog.blog.embeds import attach_bodies
from myblog.blog.models import Post, PostQuerySet
from myblog.blog.selectors import post_get_visible, post_list_visible
from myblog.core.origin import public_url


def _page(request: HttpRequest, posts: PostQuerySet) -> Page:
    paginator = Paginator(posts, settings.POSTS_PER_PAGE)
    try:
        return paginator.page(request.GET.get("page") or 1)
    except InvalidPage:
        raise Http404("No such page.") from None


def _list_canonical_url(request: HttpRequest, page: Page) -> str:
    """The list page's own address: its path and page number, and no other query string."""
    query = {"page": str(page.number)} if page.number > 1 else None
    return public_url(escape_uri_path(request.path), query)


@public_cache
def post_index(request: HttpRequest) -> HttpResponse:
    page = _page(request, post_list_visible())
    context = {"page": page, "heading": None, "canonical_url": _list_canonical_url(request, page)}
    return render(request, "myblog/post_list.html", context)


@public_cache
def tag_detail(request: HttpRequest, tag: str) -> HttpResponse:
    found = Tag.objects.filter(slug=tag).first()
    if found is None:
        raise Http404("No such tag.")
    page = _page(request, post_list_visible(tag=tag))
    heading = f"Posts tagged “{found.name}”"
    context = {"page": page, "heading": heading, "tag": found, "canonical_url": _list_canonical_url(request, page)}
    return render(request, "myblog/post_list.html", context)


@public_cache
def post_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        post = post_get_visible(slug=slug)
    except Http404:
        # Staff following a link to a draft or scheduled post land on its private preview.
        # Only this path looks at the session, so the public page never varies on cookies.
        if request.user.is_staff and (hidden := Post.objects.filter(slug=slug).first()):
            return redirect("admin:myblog_post_preview", hidden.pk)
        raise
    attach_bodies([post])
    return render(request, "myblog/post_detail.html", {"post": post})


@public_cache
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = [
        "User-agent: *",
        f"Disallow: {reverse('admin:index')}",
        f"Sitemap: {public_url(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
