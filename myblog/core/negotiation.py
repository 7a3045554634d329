"""The APIs have one representation, JSON: they answer it whatever Accept says.

RFC 9110 (section 12.5.1) lets a server disregard Accept and send its default representation
instead of 406; a client that asked for text/html gets JSON it can still read, and no operation
needs a 406 in its schema. (The schema views keep DRF's negotiation: they serve YAML and JSON.)
"""

from collections.abc import Iterable

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request


class JsonWhateverAccept(DefaultContentNegotiation):
    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))  # the JSON renderer: the only one of REST_FRAMEWORK's defaults
        return renderer, str(renderer.media_type)
