"""Contains all the data models used in inputs/outputs"""

from .error import Error
from .error_detail import ErrorDetail
from .error_detail_fields import ErrorDetailFields
from .file_output import FileOutput
from .me import Me
from .patched_todo_input import PatchedTodoInput
from .presigned_upload import PresignedUpload
from .presigned_upload_fields import PresignedUploadFields
from .storage import Storage
from .todo_input import TodoInput
from .todo_output import TodoOutput
from .upload_input import UploadInput

__all__ = (
    "Error",
    "ErrorDetail",
    "ErrorDetailFields",
    "FileOutput",
    "Me",
    "PatchedTodoInput",
    "PresignedUpload",
    "PresignedUploadFields",
    "Storage",
    "TodoInput",
    "TodoOutput",
    "UploadInput",
)
