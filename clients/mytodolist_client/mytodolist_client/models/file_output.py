from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="FileOutput")


@_attrs_define
class FileOutput:
    """
    Attributes:
        path (str):
        size (int):
        last_modified (datetime.datetime):
        etag (str):
        url (str): GET it to be redirected to a short-lived download URL.
    """

    path: str
    size: int
    last_modified: datetime.datetime
    etag: str
    url: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        path = self.path

        size = self.size

        last_modified = self.last_modified.isoformat()

        etag = self.etag

        url = self.url

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "path": path,
                "size": size,
                "last_modified": last_modified,
                "etag": etag,
                "url": url,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        path = d.pop("path")

        size = d.pop("size")

        last_modified = datetime.datetime.fromisoformat(d.pop("last_modified"))

        etag = d.pop("etag")

        url = d.pop("url")

        file_output = cls(
            path=path,
            size=size,
            last_modified=last_modified,
            etag=etag,
            url=url,
        )

        file_output.additional_properties = d
        return file_output

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
