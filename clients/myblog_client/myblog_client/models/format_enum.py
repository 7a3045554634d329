from enum import StrEnum


class FormatEnum(StrEnum):
    JPEG = "jpeg"
    WEBP = "webp"

    def __str__(self) -> str:
        return str(self.value)
