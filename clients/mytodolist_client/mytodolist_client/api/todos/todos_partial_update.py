from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.patched_todo_input import PatchedTodoInput
from ...models.todo_output import TodoOutput
from ...types import UNSET, Response, Unset


def _get_kwargs(
    todo_id: str,
    *,
    body: PatchedTodoInput | Unset = UNSET,
    if_match: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(if_match, Unset):
        headers["If-Match"] = if_match

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/api/todos/{todo_id}/".format(
            todo_id=quote(str(todo_id), safe=""),
        ),
    }

    if not isinstance(body, Unset):
        _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Error | TodoOutput | None:
    if response.status_code == 200:
        response_200 = TodoOutput.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 412:
        response_412 = Error.from_dict(response.json())

        return response_412

    if response.status_code == 415:
        response_415 = Error.from_dict(response.json())

        return response_415

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[Error | TodoOutput]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    todo_id: str,
    *,
    client: AuthenticatedClient,
    body: PatchedTodoInput | Unset = UNSET,
    if_match: str | Unset = UNSET,
) -> Response[Error | TodoOutput]:
    """Change some fields of a to-do

    Args:
        todo_id (str):
        if_match (str | Unset):
        body (PatchedTodoInput | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | TodoOutput]
    """

    kwargs = _get_kwargs(
        todo_id=todo_id,
        body=body,
        if_match=if_match,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    todo_id: str,
    *,
    client: AuthenticatedClient,
    body: PatchedTodoInput | Unset = UNSET,
    if_match: str | Unset = UNSET,
) -> Error | TodoOutput | None:
    """Change some fields of a to-do

    Args:
        todo_id (str):
        if_match (str | Unset):
        body (PatchedTodoInput | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | TodoOutput
    """

    return sync_detailed(
        todo_id=todo_id,
        client=client,
        body=body,
        if_match=if_match,
    ).parsed


async def asyncio_detailed(
    todo_id: str,
    *,
    client: AuthenticatedClient,
    body: PatchedTodoInput | Unset = UNSET,
    if_match: str | Unset = UNSET,
) -> Response[Error | TodoOutput]:
    """Change some fields of a to-do

    Args:
        todo_id (str):
        if_match (str | Unset):
        body (PatchedTodoInput | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | TodoOutput]
    """

    kwargs = _get_kwargs(
        todo_id=todo_id,
        body=body,
        if_match=if_match,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    todo_id: str,
    *,
    client: AuthenticatedClient,
    body: PatchedTodoInput | Unset = UNSET,
    if_match: str | Unset = UNSET,
) -> Error | TodoOutput | None:
    """Change some fields of a to-do

    Args:
        todo_id (str):
        if_match (str | Unset):
        body (PatchedTodoInput | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | TodoOutput
    """

    return (
        await asyncio_detailed(
            todo_id=todo_id,
            client=client,
            body=body,
            if_match=if_match,
        )
    ).parsed
