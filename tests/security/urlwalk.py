"""Every URL pattern of the project, flattened, with what each one's path parameters name.

`all_routes()` walks `get_resolver()` recursively (the admin and the /r/ links included) and
turns each pattern into a `Route`: the full route template (`clients/<int:pk>/notes/`), the
view, its parameters, and the ModelAdmin behind it for the admin's per-model pages. The
tests then look each template up in their classification tables, and fail on any they do
not know: a new route cannot slip past unchecked.
"""

import re
from dataclasses import dataclass

from django.contrib.admin import ModelAdmin
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


@dataclass(frozen=True)
class Route:
    template: str  # the full route, regex groups written as <name>
    name: str | None  # "clients:detail"; None for unnamed patterns
    callback: object
    params: tuple[str, ...]
    model_admin: ModelAdmin | None  # for the admin's per-model pages
    admin_tail: str | None  # the route inside a ModelAdmin's urls: "<path:object_id>/change/"

    def path(self, **values) -> str:
        """The concrete URL with each parameter replaced by `values[name]`."""

        def fill(match):
            return str(values[match.group("name")])

        return "/" + _ROUTE_PARAM.sub(fill, self.template)

    @property
    def is_admin(self) -> bool:
        return self.template.startswith("admin/")

    @property
    def csrf_exempt(self) -> bool:
        return getattr(self.callback, "csrf_exempt", False)

    def __str__(self) -> str:
        return f"/{self.template} ({self.name or 'unnamed'})"


def _piece(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return str(pattern)
    if isinstance(pattern, RegexPattern):
        regex = str(pattern).removeprefix("^").removesuffix("$")
        return _REGEX_GROUP.sub(lambda m: f"<{m.group('name')}>", regex)
    raise TypeError(f"Unknown URL pattern kind {pattern!r}")


def _model_admin_of(resolver: URLResolver) -> ModelAdmin | None:
    # ModelAdmin.get_urls() wraps each view and tags the wrapper with `model_admin`.
    for entry in resolver.url_patterns:
        model_admin = getattr(getattr(entry, "callback", None), "model_admin", None)
        if model_admin is not None:
            return model_admin
    return None


def _walk(patterns, prefix: str, namespace: str, model_admin, admin_prefix):
    for entry in patterns:
        piece = _piece(entry.pattern)
        if isinstance(entry, URLResolver):
            inner_namespace = namespace
            if entry.namespace:
                inner_namespace = f"{namespace}{entry.namespace}:"
            inner_admin = _model_admin_of(entry) or model_admin
            inner_admin_prefix = prefix + piece if inner_admin is not model_admin else admin_prefix
            yield from _walk(
                entry.url_patterns,
                prefix + piece,
                inner_namespace,
                inner_admin,
                inner_admin_prefix,
            )
        elif isinstance(entry, URLPattern):
            template = prefix + piece
            yield Route(
                template=template,
                name=f"{namespace}{entry.name}" if entry.name else None,
                callback=entry.callback,
                params=tuple(m.group("name") for m in _ROUTE_PARAM.finditer(template)),
                model_admin=model_admin,
                admin_tail=template.removeprefix(admin_prefix) if model_admin else None,
            )


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns, "", "", None, ""))
