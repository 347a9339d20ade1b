from __future__ import annotations

from wtforms import IntegerField, RadioField, StringField, SubmitField, TextAreaField

# New in WTForms 3.3; types-WTForms still describes 3.2.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import HiddenInput

from app.forms import CreateForm, Form, plain_text
from app.models import PostStatus
from app.services.posts import TAG_MAX, TAGS_PER_POST, parse_tags

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
        if len(parse_tags(field.data or "")) > TAGS_PER_POST:
            raise ValidationError(f"Use at most {TAGS_PER_POST} tags.")


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
    # The id of the comment this one answers (the reply form under a thread); empty otherwise.
    reply_to = IntegerField(widget=HiddenInput(), validators=[Optional()])
    submit = SubmitField("Post comment")


# Shown when the comment a reply answers is not on the page (any more): after a POST, and after
# following an old "Reply" link.
CANNOT_REPLY = (
    "The comment you are answering is no longer shown here, so your reply was not posted. "
    "Your text is kept below: you can post it as a new comment."
)
REPLY_GONE = (
    "The comment you wanted to answer is no longer shown here. You can write a new comment."
)
