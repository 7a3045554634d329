from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.photo import Photo


T = TypeVar("T", bound="Post")


@_attrs_define
class Post:
    """
    Attributes:
        slug (str):
        title (str):
        url (str):
        author (str):
        tags (list[str]):
        cover_photo (None | Photo):
        updated_at (datetime.datetime):
        summary (str | Unset): Shown in lists, feeds and search results.
        publish_at (datetime.datetime | None | Unset): A published post stays hidden until this time. Empty means now
            when published.
    """

    slug: str
    title: str
    url: str
    author: str
    tags: list[str]
    cover_photo: None | Photo
    updated_at: datetime.datetime
    summary: str | Unset = UNSET
    publish_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.photo import Photo  # noqa: PLC0415

        slug = self.slug

        title = self.title

        url = self.url

        author = self.author

        tags = self.tags

        cover_photo: dict[str, Any] | None
        if isinstance(self.cover_photo, Photo):
            cover_photo = self.cover_photo.to_dict()
        else:
            cover_photo = self.cover_photo

        updated_at = self.updated_at.isoformat()

        summary = self.summary

        publish_at: None | str | Unset
        if isinstance(self.publish_at, Unset):
            publish_at = UNSET
        elif isinstance(self.publish_at, datetime.datetime):
            publish_at = self.publish_at.isoformat()
        else:
            publish_at = self.publish_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "slug": slug,
                "title": title,
                "url": url,
                "author": author,
                "tags": tags,
                "cover_photo": cover_photo,
                "updated_at": updated_at,
            }
        )
        if summary is not UNSET:
            field_dict["summary"] = summary
        if publish_at is not UNSET:
            field_dict["publish_at"] = publish_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        from ..models.photo import Photo  # noqa: PLC0415

        d = dict(src_dict)
        slug = d.pop("slug")

        title = d.pop("title")

        url = d.pop("url")

        author = d.pop("author")

        tags = cast(list[str], d.pop("tags"))

        def _parse_cover_photo(data: object) -> None | Photo:
            if data is None:
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                cover_photo_type_1 = Photo.from_dict(data)

                return cover_photo_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Photo, data)

        cover_photo = _parse_cover_photo(d.pop("cover_photo"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        summary = d.pop("summary", UNSET)

        def _parse_publish_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                publish_at_type_0 = datetime.datetime.fromisoformat(data)

                return publish_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        publish_at = _parse_publish_at(d.pop("publish_at", UNSET))

        post = cls(
            slug=slug,
            title=title,
            url=url,
            author=author,
            tags=tags,
            cover_photo=cover_photo,
            updated_at=updated_at,
            summary=summary,
            publish_at=publish_at,
        )

        post.additional_properties = d
        return post

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
