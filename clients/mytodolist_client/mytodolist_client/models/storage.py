from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="Storage")


@_attrs_define
class Storage:
    """
    Attributes:
        bucket (str):
        region (str):
        prefix (str):
        user_pool_id (str):
        client_id (str):
        identity_pool_id (str):
    """

    bucket: str
    region: str
    prefix: str
    user_pool_id: str
    client_id: str
    identity_pool_id: str
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        bucket = self.bucket

        region = self.region

        prefix = self.prefix

        user_pool_id = self.user_pool_id

        client_id = self.client_id

        identity_pool_id = self.identity_pool_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "bucket": bucket,
                "region": region,
                "prefix": prefix,
                "user_pool_id": user_pool_id,
                "client_id": client_id,
                "identity_pool_id": identity_pool_id,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        bucket = d.pop("bucket")

        region = d.pop("region")

        prefix = d.pop("prefix")

        user_pool_id = d.pop("user_pool_id")

        client_id = d.pop("client_id")

        identity_pool_id = d.pop("identity_pool_id")

        storage = cls(
            bucket=bucket,
            region=region,
            prefix=prefix,
            user_pool_id=user_pool_id,
            client_id=client_id,
            identity_pool_id=identity_pool_id,
        )

        storage.additional_properties = d
        return storage

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
