from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from wtforms import FileField, SubmitField
from wtforms.validators import ValidationError

from app.forms import CreateForm, Form

ACCEPT = "image/jpeg,image/png,image/webp,image/gif,image/avif"


class ImageFileForm(Form):
    """A form with one image file; the file comes from ``request.files``, never the text."""

    image = FileField(_l("Image"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.is_submitted():
            self.image.data = request.files.get("image")

    def validate_image(self, field: FileField) -> None:
        if not isinstance(field.data, FileStorage) or not field.data.filename:
            raise ValidationError(_("Choose an image file to upload."))


class UploadForm(CreateForm, ImageFileForm):
    """The library's upload: sent at most once."""

    submit = SubmitField(_l("Upload"))


class AvatarForm(ImageFileForm):
    submit = SubmitField(_l("Use this picture"))
