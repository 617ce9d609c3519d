"""Forms of the catalogue pages a practice admin uses: feeds and the published list."""

from urllib.parse import urlsplit

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.core.validators import URLValidator

from groups.importers import PARSERS, SourceError
from groups.importers.base import ImportContext
from groups.importers.sources import refuse_web_page
from groups.models import Feed, FeedFormat, Program, PublishedList
from recovery.models import known_time_zones

FORMAT_HELP = (
    "Meeting Guide JSON is what AA intergroups publish (12 Step Meeting List sites: "
    "…/wp-admin/admin-ajax.php?action=meetings); BMLT is NA's server (a GetSearchResults "
    "address); CSV is a spreadsheet with Meeting Guide's column names."
)


def _megabytes(count: int) -> str:
    return f"{count / 1024 / 1024:.0f} MB"


class FeedForm(forms.ModelForm):
    """A feed is a web address the workers fetch, or a file uploaded here (kept in the
    database). A file is checked as it is uploaded, so a CSV with a wrong header or a JSON
    file that is not a list of meetings is refused on the spot; an address is fetched by a
    worker, and what goes wrong there shows on the feed's page."""

    source = forms.URLField(
        label="Feed address",
        required=False,
        max_length=500,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="The feed's web address. Leave empty to upload a file instead.",
    )
    upload_file = forms.FileField(
        label="Or upload a file",
        required=False,
        help_text="A feed file (JSON or CSV) of at most "
        f"{_megabytes(settings.FEED_UPLOAD_MAX_BYTES)}. Uploaded feeds change only when you "
        "upload again.",
    )
    default_time_zone = forms.ChoiceField(
        label="Time zone",
        help_text="For meetings whose record names none.",
        choices=lambda: [(zone, zone) for zone in sorted(known_time_zones())],
    )

    class Meta:
        model = Feed
        fields = ["name", "format", "source", "upload_file", "default_program", "default_time_zone"]
        labels = {"default_program": "Program", "format": "Format"}
        help_texts = {
            "name": "How the feed is listed, e.g. the intergroup's name.",
            "format": FORMAT_HELP,
            "default_program": "The program of its meetings, where the feed does not name one "
            "(empty: AA for Meeting Guide, NA for BMLT; a CSV names it per row).",
        }

    def __init__(self, *args, practice, **kwargs):
        super().__init__(*args, **kwargs)
        self.practice = practice
        self.payload: bytes | None = None
        self.fields["default_program"].queryset = Program.objects.order_by("name")
        self.fields["default_program"].empty_label = "From the format"
        if self.instance.pk and self.instance.is_upload:
            self.fields["upload_file"].label = "Upload a new version"
            self.fields["upload_file"].help_text = (
                f"Now: {self.instance.upload_name or 'an uploaded file'}. "
                + self.fields["upload_file"].help_text
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("save", "Save and import"))

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        others = Feed.objects.filter(practice=self.practice, name__iexact=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError("Your practice already has a feed with this name.")
        return name

    def clean_source(self) -> str:
        source = self.cleaned_data.get("source", "")
        try:
            _port = urlsplit(source).port
        except ValueError:
            raise forms.ValidationError(
                "The port in this address (the number after the colon) is not a valid one."
            ) from None
        return source

    def clean_upload_file(self):
        upload = self.cleaned_data.get("upload_file")
        if upload is None:
            return None
        if upload.size > settings.FEED_UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                f"This file is {_megabytes(upload.size)}; a feed file may be at most "
                f"{_megabytes(settings.FEED_UPLOAD_MAX_BYTES)}. A feed that large is better "
                "given by its web address."
            )
        return upload

    def clean(self):
        cleaned = super().clean()
        source, upload = cleaned.get("source"), cleaned.get("upload_file")
        if self.errors:
            return cleaned
        had_upload = bool(self.instance.pk and self.instance.is_upload)
        if source and upload:
            self.add_error("upload_file", "Give a web address or a file, not both.")
        elif not source and not upload and not had_upload:
            self.add_error("source", "Give the feed's web address, or upload a file.")
        elif upload or (had_upload and not source and "format" in self.changed_data):
            payload = upload.read() if upload else bytes(self.instance.upload)
            try:
                source_check(cleaned["format"], payload, what=upload.name if upload else "The file")
            except SourceError as error:
                self.add_error("upload_file" if upload else "format", str(error))
            if upload:
                self.payload = payload
        return cleaned

    def save(self, commit=True):
        feed = super().save(commit=False)
        feed.practice = self.practice
        if self.payload is not None:
            feed.upload = self.payload
            feed.upload_name = self.cleaned_data["upload_file"].name[:255]
            feed.source = ""
            feed.content_sha256 = ""  # a new file is always imported
        elif feed.source:
            feed.upload, feed.upload_name = None, ""
        if "source" in self.changed_data or "format" in self.changed_data:
            feed.etag = feed.last_modified = feed.content_sha256 = ""
        if commit:
            feed.save()
        return feed


def source_check(format: str, payload: bytes, *, what: str) -> None:
    """SourceError if the file as a whole cannot be imported in `format` (a web page, not
    JSON, not a list, a CSV without its required columns); records are judged on import."""
    refuse_web_page(payload, what=what)
    context = ImportContext(default_time_zone="UTC", program=None, programs={})
    PARSERS[format](payload, context)  # reads the whole file; record outcomes are lazy


class PublishedListForm(forms.ModelForm):
    class Meta:
        model = PublishedList
        fields = ["title", "slug", "is_published"]
        labels = {
            "title": "Title",
            "slug": "Short name in the address",
            "is_published": "Publish the list (anyone with the address can read it)",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.add_input(Submit("save", "Save"))


__all__ = ["FeedForm", "FeedFormat", "PublishedListForm", "source_check"]
