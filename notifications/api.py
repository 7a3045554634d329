"""POST /api/blog/subscribers/: subscribe an address."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from myblog.core.http_errors import ErrorSerializer
from myblog.core.negotiation import JsonWhateverAccept
from notifications.addresses import MAX_LENGTH
from notifications.services import subscriber_subscribe
from notifications.throttling import SubscribeThrottle

ACCEPTED_MESSAGE = (
    "Thanks! If this address can receive our email, a welcome message with a link to confirm the subscription "
    "is on its way."
)


class SubscriberCreateApi(APIView):
    """CSRF-exempt (no session authentication) and throttled per client, like the form."""

    throttle_classes = [SubscribeThrottle]
    content_negotiation_class = JsonWhateverAccept

    class InputSerializer(serializers.Serializer):
        # Not trimmed and not an EmailField: the service checks the raw value (CR/LF, several
        # addresses) and normalizes it.
        email = serializers.CharField(max_length=MAX_LENGTH + 66, trim_whitespace=False)

    class OutputSerializer(serializers.Serializer):
        message = serializers.CharField()

    @extend_schema(
        summary="Subscribe an email address to the blog",
        description="The answer is the same whether or not the address was already subscribed.",
        request=InputSerializer,
        responses={
            202: OutputSerializer,
            400: OpenApiResponse(ErrorSerializer, description="Not exactly one valid email address."),
            415: OpenApiResponse(ErrorSerializer, description="The body is not JSON."),
            429: OpenApiResponse(ErrorSerializer, description="Too many requests from this client; see Retry-After."),
        },
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscriber_subscribe(email=serializer.validated_data["email"])
        return Response(self.OutputSerializer({"message": ACCEPTED_MESSAGE}).data, status=status.HTTP_202_ACCEPTED)
