from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, StringField, SubmitField, TextAreaField

# New in WTForms 3.3; types-WTForms still describes 3.2.
from wtforms.fields.choices import SelectChoice  # type: ignore[attr-defined]
from wtforms.form import BaseForm
from wtforms.validators import DataRequired, Length, Optional, ValidationError
from wtforms.widgets import DateTimeLocalInput, HiddenInput

from app.forms import CreateForm, Form, plain_text
from app.models import Post, PostState, PostStatus, utcnow
from app.services.tags import TAG_MAX, TAGS_PER_POST, InvalidTags, parse_tags
from app.timezones import LocalTimeError, local_label, parse_local, to_local_input, to_utc

TITLE_MAX = 200
# A hand-written summary: a sentence or two for lists, feeds and link previews.
SUMMARY_MAX = 300
BODY_MAX = 100_000
COMMENT_MAX = 2000
SCHEDULE_MAX_DAYS = 3660
STATUS_CHOICES = [
    SelectChoice(PostState.DRAFT.value, _l("Draft")),
    SelectChoice(PostState.PUBLISHED.value, _l("Published")),
    SelectChoice(PostState.SCHEDULED.value, _l("Scheduled")),
]


class StatusField(RadioField):
    """The status radios; ``went_live`` replaces "Not a valid choice." when "Scheduled" comes
    from an editor opened before the post went live (it is no longer offered then)."""

    went_live: str | None = None

    def pre_validate(self, form: BaseForm) -> None:
        if self.data == PostState.SCHEDULED and self.went_live:
            raise ValidationError(self.went_live)
        super().pre_validate(form)


class PostForm(Form):
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Give your post a title.")),
            Length(
                max=TITLE_MAX, message=_l("Keep the title to %(max)s characters.", max=TITLE_MAX)
            ),
            plain_text,
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )
    body = TextAreaField(
        _l("Body"),
        validators=[
            DataRequired(message=_l("Write something first.")),
            Length(
                max=BODY_MAX,
                message=_l("Posts are limited to %(max)s characters.", max=f"{BODY_MAX:,}"),
            ),
            plain_text,
        ],
    )
    summary = TextAreaField(
        _l("Summary (optional)"),
        validators=[
            Length(
                max=SUMMARY_MAX,
                message=_l(
                    "Keep the summary to %(max)s characters, or leave it empty.", max=SUMMARY_MAX
                ),
            ),
            plain_text,
        ],
    )
    tags = StringField(
        _l("Tags"),
        validators=[Length(max=TAGS_PER_POST * (TAG_MAX + 2)), plain_text],
    )
    status = StatusField(
        _l("Status"),
        choices=STATUS_CHOICES,
        default=PostState.DRAFT.value,
        validate_choice=True,
    )
    publish_at = StringField(
        _l("Publish at"),
        widget=DateTimeLocalInput(),
        validators=[Length(max=40, message=_l("Enter the date and time as YYYY-MM-DD HH:MM."))],
    )
    submit = SubmitField(_l("Save"))
    # Shows the post as it will be published, above the form, and saves nothing.
    preview = SubmitField(_l("Preview"))
    # The zone times are typed in: the member's (``prepare``).
    zone = ZoneInfo("UTC")
    # The instant ``publish_at`` names, once validated with "Scheduled" chosen.
    scheduled_for: datetime | None = None

    def prepare(self, post: Post | None, zone: ZoneInfo, *, fill: bool) -> None:
        """Set the member's zone; ``fill`` shows ``post`` as saved (the editor's first view).

        A post that has been public keeps its date: it can no longer be scheduled.
        """
        self.zone = zone
        if post is not None and post.was_public and post.published_at is not None:
            self.status.choices = [
                choice for choice in STATUS_CHOICES if choice.value != PostState.SCHEDULED
            ]
            self.status.went_live = _(
                "This post was published on %(when)s while you were editing; "
                "choose Published or Draft.",
                when=local_label(post.published_at, zone),
            )
        if post is not None and fill:
            self.body.data = post.body_markdown
            self.summary.data = post.summary or ""
            self.tags.data = ", ".join(tag.name for tag in post.tags)
            self.status.data = post.state.value
            if post.is_scheduled and post.published_at is not None:
                self.publish_at.data = to_local_input(post.published_at, zone)

    def validate_tags(self, field: StringField) -> None:
        try:
            parse_tags(field.data or "")
        except InvalidTags as invalid:
            raise ValidationError(str(invalid)) from invalid

    def validate_publish_at(self, field: StringField) -> None:
        """Read only when scheduling: in the member's zone, in the future, within ten years.

        A time typed with another status is not dropped in silence, unless the post can no
        longer be scheduled (the field is gone from its editor; an old page may still send it).
        """
        typed = (field.data or "").strip()
        if self.status.data != PostState.SCHEDULED:
            if typed and self.status.went_live is None:
                raise ValidationError(
                    _("Choose “Scheduled” to publish at this time, or clear the time.")
                )
            return
        if not typed:
            raise ValidationError(_("Choose when to publish it."))
        try:
            instant = to_utc(parse_local(field.data or ""), self.zone)
        except LocalTimeError as error:
            raise ValidationError(str(error)) from None
        now = utcnow()
        if instant <= now:
            raise ValidationError(_("Choose a time in the future, or publish now."))
        if instant > now + timedelta(days=SCHEDULE_MAX_DAYS):
            raise ValidationError(_("Choose a time in the next ten years."))
        self.scheduled_for = instant

    def publication(self) -> tuple[PostStatus, datetime | None]:
        """What the services store: a scheduled post is published at a time to come."""
        if self.status.data == PostState.DRAFT:
            return PostStatus.DRAFT, None
        return PostStatus.PUBLISHED, self.scheduled_for


class NewPostForm(CreateForm, PostForm):
    """The editor for a new post: the same fields, sent at most once."""


class CommentForm(CreateForm):
    body = TextAreaField(
        _l("Comment"),
        validators=[
            DataRequired(message=_l("Write a comment first.")),
            Length(
                max=COMMENT_MAX,
                message=_l("Comments are limited to %(max)s characters.", max=COMMENT_MAX),
            ),
            plain_text,
        ],
    )
    # The id of the comment this one answers (the reply form under a thread); empty otherwise.
    reply_to = IntegerField(widget=HiddenInput(), validators=[Optional()])
    submit = SubmitField(_l("Post comment"))


# Shown when the comment a reply answers is not on the page (any more): after a POST, and after
# following an old "Reply" link.
CANNOT_REPLY = _l(
    "The comment you are answering is no longer shown here, so your reply was not posted. "
    "Your text is kept below: you can post it as a new comment."
)
REPLY_GONE = _l(
    "The comment you wanted to answer is no longer shown here. You can write a new comment."
)
