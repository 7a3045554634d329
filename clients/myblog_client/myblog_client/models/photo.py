from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.status_enum import StatusEnum

if TYPE_CHECKING:
    from ..models.rendition import Rendition


T = TypeVar("T", bound="Photo")


@_attrs_define
class Photo:
    """
    Attributes:
        title (str):
        alt_text (str): Describes the photo for people who cannot see it.
        width (int | None):
        height (int | None):
        status (StatusEnum): * `pending` - Pending
            * `ready` - Ready
            * `failed` - Failed
        renditions (list[Rendition]):
    """

    title: str
    alt_text: str
    width: int | None
    height: int | None
    status: StatusEnum
    renditions: list[Rendition]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        title = self.title

        alt_text = self.alt_text

        width: int | None
        width = self.width

        height: int | None
        height = self.height

        status = self.status.value

        renditions = []
        for renditions_item_data in self.renditions:
            renditions_item = renditions_item_data.to_dict()
            renditions.append(renditions_item)

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "title": title,
                "alt_text": alt_text,
                "width": width,
                "height": height,
                "status": status,
                "renditions": renditions,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.rendition import Rendition  # noqa: PLC0415

        d = dict(src_dict)
        title = d.pop("title")

        alt_text = d.pop("alt_text")

        def _parse_width(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        width = _parse_width(d.pop("width"))

        def _parse_height(data: object) -> int | None:
            if data is None:
                return data
            return cast(int | None, data)

        height = _parse_height(d.pop("height"))

        status = StatusEnum(d.pop("status"))

        renditions = []
        _renditions = d.pop("renditions")
        for renditions_item_data in _renditions:
            renditions_item = Rendition.from_dict(renditions_item_data)

            renditions.append(renditions_item)

        photo = cls(
            title=title,
            alt_text=alt_text,
            width=width,
            height=height,
            status=status,
            renditions=renditions,
        )

        photo.additional_properties = d
        return photo

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
