"""The MyToDoList REST API: every call authenticated with a Cognito access token.

Conditional requests: each to-do's ETag is its ``version``; ``If-None-Match`` answers 304,
``If-Match`` on a write becomes a conditional write in DynamoDB (412 when stale). Lists carry an
ETag of their content and page with an RFC 8288 ``Link: <...>; rel="next"`` header. Responses are
``private, no-store`` (PrivateByDefaultMiddleware) and vary on Authorization.

The views; what they read and write is in todo/serializers.py, the rest of their OpenAPI
description in todo/openapi.py.
"""

import hashlib
import json
import re
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse, HttpResponseNotModified, HttpResponseRedirect
from django.utils.cache import patch_vary_headers
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from myblog.core.negotiation import JsonWhateverAccept
from myblog.core.query import validated_query
from todo import selectors, services
from todo.authentication import CognitoAuthentication, CognitoUser, authentication_failed
from todo.cognito import CognitoError
from todo.domain import LIST_LIMIT_DEFAULT, Todo, TodoChanges
from todo.openapi import (
    ERROR,
    IF_MATCH,
    IF_NONE_MATCH,
    NEXT_LINK,
    STORAGE_SCHEMA,
    UPLOAD_REFUSED,
    UPLOAD_SCHEMA,
)
from todo.serializers import (
    FILE_LIMIT_DEFAULT,
    FileListQuerySerializer,
    FileOutputSerializer,
    ListQuerySerializer,
    TodoInputSerializer,
    TodoOutputSerializer,
    UploadInputSerializer,
)

_ETAG = re.compile(r'^(?:W/)?"(\d{1,18})"$')


# --- helpers ------------------------------------------------------------------------------------


def expected_versions(request: Request) -> list[int] | None:
    """The versions an If-Match accepts: None when absent or ``*`` (the to-do must only exist).
    An ETag we never issued can never match, so it becomes version 0, which no to-do has."""
    header = request.headers.get("If-Match")
    if header is None or header.strip() == "*":
        return None
    versions = []
    for candidate in header.split(","):
        match = _ETAG.match(candidate.strip())
        versions.append(int(match.group(1)) if match else 0)
    return versions[:20]


def not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("If-None-Match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    wanted = etag.removeprefix("W/")
    return any(candidate.strip().removeprefix("W/") == wanted for candidate in header.split(","))


def content_etag(data: Any) -> str:
    return '"' + hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()[:32] + '"'


def next_link(request: Request, cursor: str | None, limit: int) -> dict[str, str]:
    if not cursor:
        return {}
    url = request.build_absolute_uri(request.path) + "?" + urlencode({"limit": limit, "cursor": cursor})
    return {"Link": f'<{url}>; rel="next"'}


# --- views --------------------------------------------------------------------------------------


class TodoApiView(APIView):
    content_negotiation_class = JsonWhateverAccept
    authentication_classes = [CognitoAuthentication]
    permission_classes = [IsAuthenticated]

    @property
    def caller(self) -> CognitoUser:
        """The token's user (IsAuthenticated let the request in); DRF's stubs type it a Django user."""
        user: object = self.request.user
        assert isinstance(user, CognitoUser)
        return user

    @property
    def owner(self) -> str:
        return self.caller.sub

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        # Shared caches that key on the URL alone must never hand one user's answer to another.
        patch_vary_headers(response, ["Authorization"])
        return response


class TodoListApi(TodoApiView):
    @extend_schema(
        summary="Your to-dos, by order then creation",
        parameters=[ListQuerySerializer, IF_NONE_MATCH, NEXT_LINK],
        responses={200: TodoOutputSerializer(many=True), 304: None, 400: ERROR, 401: ERROR, 503: ERROR},
    )
    def get(self, request: Request) -> HttpResponse:
        query = validated_query(ListQuerySerializer, request)
        limit = query.get("limit", LIST_LIMIT_DEFAULT)
        page = selectors.todo_list(owner=self.owner, limit=limit, cursor=query.get("cursor"))
        data = TodoOutputSerializer(page.items, many=True, context={"request": request}).data
        headers = {"ETag": content_etag([data, page.cursor]), **next_link(request, page.cursor, limit)}
        if not_modified(request, headers["ETag"]):
            return HttpResponseNotModified(headers=headers)
        return Response(data, headers=headers)

    @extend_schema(
        summary="Add a to-do",
        request=TodoInputSerializer,
        responses={201: TodoOutputSerializer, 400: ERROR, 401: ERROR, 415: ERROR, 503: ERROR},
    )
    def post(self, request: Request) -> Response:
        body = TodoInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        todo = services.todo_create(owner=self.owner, **body.validated_data)
        data = TodoOutputSerializer(todo, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED, headers={"Location": data["url"], "ETag": todo.etag})

    @extend_schema(
        summary="Delete all your to-dos",
        operation_id="todos_destroy_all",
        request=None,
        responses={204: None, 401: ERROR, 503: ERROR},
    )
    def delete(self, request: Request) -> Response:
        services.todo_delete_all(owner=self.owner)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TodoDetailApi(TodoApiView):
    @extend_schema(
        summary="One of your to-dos",
        parameters=[IF_NONE_MATCH],
        responses={200: TodoOutputSerializer, 304: None, 401: ERROR, 404: ERROR, 503: ERROR},
    )
    def get(self, request: Request, todo_id: str) -> HttpResponse:
        todo = selectors.todo_get(owner=self.owner, todo_id=todo_id)
        if not_modified(request, todo.etag):
            return HttpResponseNotModified(headers={"ETag": todo.etag})
        return self._answer(todo)

    @extend_schema(
        summary="Change some fields of a to-do",
        parameters=[IF_MATCH],
        request=TodoInputSerializer(partial=True),
        responses={200: TodoOutputSerializer, 400: ERROR, 401: ERROR, 404: ERROR, 412: ERROR, 415: ERROR, 503: ERROR},
    )
    def patch(self, request: Request, todo_id: str) -> Response:
        return self._write(request, todo_id, partial=True)

    @extend_schema(
        summary="Replace a to-do's fields (completed defaults to false, order to 0)",
        parameters=[IF_MATCH],
        request=TodoInputSerializer,
        responses={200: TodoOutputSerializer, 400: ERROR, 401: ERROR, 404: ERROR, 412: ERROR, 415: ERROR, 503: ERROR},
    )
    def put(self, request: Request, todo_id: str) -> Response:
        return self._write(request, todo_id, partial=False)

    @extend_schema(
        summary="Delete a to-do",
        parameters=[IF_MATCH],
        responses={204: None, 401: ERROR, 404: ERROR, 412: ERROR, 503: ERROR},
    )
    def delete(self, request: Request, todo_id: str) -> Response:
        services.todo_delete(owner=self.owner, todo_id=todo_id, expected_versions=expected_versions(request))
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _write(self, request: Request, todo_id: str, *, partial: bool) -> Response:
        body = TodoInputSerializer(data=request.data, partial=partial)
        body.is_valid(raise_exception=True)
        fields = body.validated_data
        if not partial:
            fields = {"completed": False, "order": 0, **fields}
        todo = services.todo_update(
            owner=self.owner,
            todo_id=todo_id,
            changes=TodoChanges(**fields),
            expected_versions=expected_versions(request),
        )
        return self._answer(todo)

    def _answer(self, todo: Todo) -> Response:
        data = TodoOutputSerializer(todo, context={"request": self.request}).data
        return Response(data, headers={"ETag": todo.etag})


class MeApi(TodoApiView):
    @extend_schema(
        summary="Who you are, and where your S3 folder is",
        responses={200: STORAGE_SCHEMA, 401: ERROR, 503: ERROR},
    )
    def get(self, request: Request) -> Response:
        caller = self.caller
        try:
            return Response(selectors.me_describe(user=caller))
        except CognitoError as exc:  # e.g. the token was revoked by a sign-out everywhere
            raise authentication_failed(request, exc.message) from exc


class FileListApi(TodoApiView):
    @extend_schema(
        summary="The files in your folder",
        parameters=[FileListQuerySerializer, NEXT_LINK],
        responses={200: FileOutputSerializer(many=True), 400: ERROR, 401: ERROR, 503: ERROR},
    )
    def get(self, request: Request) -> Response:
        query = validated_query(FileListQuerySerializer, request)
        limit = query.get("limit", FILE_LIMIT_DEFAULT)
        page = selectors.user_file_list(owner=self.owner, limit=limit, cursor=query.get("cursor"))
        data = FileOutputSerializer(page.items, many=True, context={"request": request}).data
        return Response(data, headers=next_link(request, page.cursor, limit))


class FileDetailApi(TodoApiView):
    @extend_schema(
        summary="Download one of your files (a redirect to a short-lived presigned URL)",
        responses={
            302: OpenApiResponse(description="Location: the presigned URL"),
            400: ERROR,
            401: ERROR,
            404: ERROR,
            503: ERROR,
        },
    )
    def get(self, request: Request, path: str) -> HttpResponse:
        return HttpResponseRedirect(selectors.user_file_download_url(owner=self.owner, path=path))

    @extend_schema(
        summary="Delete one of your files", responses={204: None, 400: ERROR, 401: ERROR, 404: ERROR, 503: ERROR}
    )
    def delete(self, request: Request, path: str) -> Response:
        services.user_file_delete(owner=self.owner, path=path)
        return Response(status=status.HTTP_204_NO_CONTENT)


FILE_ERRORS = {400: ERROR, 401: ERROR, 404: ERROR, 503: ERROR}


class FileUploadApi(FileDetailApi):
    """``POST /api/files/uploads``; GET and DELETE act on a file of that name like on any other."""

    @extend_schema(
        summary="A presigned POST into your folder, limited in size",
        request=UploadInputSerializer,
        responses={200: UPLOAD_SCHEMA, 400: UPLOAD_REFUSED, 401: ERROR, 415: ERROR, 503: ERROR},
    )
    def post(self, request: Request) -> Response:
        body = UploadInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(services.user_file_upload_presign(owner=self.owner, **body.validated_data))

    # In the schema too: the path answers GET and DELETE (its Allow header says so).
    @extend_schema(
        summary="Download your file named uploads",
        responses={302: OpenApiResponse(description="Location: the presigned URL"), **FILE_ERRORS},
    )
    def get(self, request: Request, path: str = "uploads") -> HttpResponse:
        return super().get(request, path)

    @extend_schema(summary="Delete your file named uploads", responses={204: None, **FILE_ERRORS})
    def delete(self, request: Request, path: str = "uploads") -> Response:
        return super().delete(request, path)
