"""Contains all the data models used in inputs/outputs"""

from .error import Error
from .error_detail import ErrorDetail
from .error_detail_fields import ErrorDetailFields
from .format_enum import FormatEnum
from .paginated_post_list import PaginatedPostList
from .photo import Photo
from .post import Post
from .post_detail import PostDetail
from .rendition import Rendition
from .status_enum import StatusEnum
from .subscriber_accepted import SubscriberAccepted
from .subscriber_input import SubscriberInput

__all__ = (
    "Error",
    "ErrorDetail",
    "ErrorDetailFields",
    "FormatEnum",
    "PaginatedPostList",
    "Photo",
    "Post",
    "PostDetail",
    "Rendition",
    "StatusEnum",
    "SubscriberAccepted",
    "SubscriberInput",
)
