from __future__ import annotations

from wtforms import RadioField, StringField, SubmitField, TextAreaField

# New in WTForms 3.3; types-WTForms still describes 3.2.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import DataRequired, Length, ValidationError

from app.forms import CreateForm, Form, plain_text
from app.models import PostStatus
from app.services.tags import TAG_MAX, TAGS_PER_POST, InvalidTags, parse_tags

TITLE_MAX = 200
BODY_MAX = 100_000
COMMENT_MAX = 2000


class PostForm(Form):
    title = StringField(
        "Title",
        validators=[
            DataRequired(message="Give your post a title."),
            Length(max=TITLE_MAX, message=f"Keep the title to {TITLE_MAX} characters."),
            plain_text,
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    body = TextAreaField(
        "Body",
        validators=[
            DataRequired(message="Write something first."),
            Length(max=BODY_MAX, message=f"Posts are limited to {BODY_MAX:,} characters."),
            plain_text,
        ],
    )
    tags = StringField(
        "Tags",
        validators=[Length(max=TAGS_PER_POST * (TAG_MAX + 2)), plain_text],
    )
    status = RadioField(
        "Status",
        choices=[
            SelectChoice(PostStatus.DRAFT.value, "Draft"),
            SelectChoice(PostStatus.PUBLISHED.value, "Published"),
        ],
        default=PostStatus.DRAFT.value,
        validate_choice=True,
    )
    submit = SubmitField("Save")

    def validate_tags(self, field: StringField) -> None:
        try:
            parse_tags(field.data or "")
        except InvalidTags as invalid:
            raise ValidationError(str(invalid)) from invalid


class NewPostForm(CreateForm, PostForm):
    """The editor for a new post: the same fields, sent at most once."""


class CommentForm(CreateForm):
    body = TextAreaField(
        "Comment",
        validators=[
            DataRequired(message="Write a comment first."),
            Length(max=COMMENT_MAX, message=f"Comments are limited to {COMMENT_MAX} characters."),
            plain_text,
        ],
    )
    submit = SubmitField("Post comment")
