from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="PatchedTodoInput")


@_attrs_define
class PatchedTodoInput:
    """
    Attributes:
        title (str | Unset):
        completed (bool | Unset):
        order (int | Unset):
    """

    title: str | Unset = UNSET
    completed: bool | Unset = UNSET
    order: int | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        title = self.title

        completed = self.completed

        order = self.order

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if title is not UNSET:
            field_dict["title"] = title
        if completed is not UNSET:
            field_dict["completed"] = completed
        if order is not UNSET:
            field_dict["order"] = order

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        title = d.pop("title", UNSET)

        completed = d.pop("completed", UNSET)

        order = d.pop("order", UNSET)

        patched_todo_input = cls(
            title=title,
            completed=completed,
            order=order,
        )

        return patched_todo_input
