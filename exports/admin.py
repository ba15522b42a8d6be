"""The Django admin for releases: shown, never written by hand.

A release changes only through exports.services (and, once published, the database refuses any change
but a withdrawal), so the admin reads releases and their files; leads make and publish them on the
release pages. The pseudonym secret is never shown.
"""

from django.contrib import admin

from annotation.admin import ReadOnlyAdminMixin
from exports.models import Release, ReleaseFile


class ReleaseFileInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ReleaseFile
    extra = 0
    fields = ["path", "format", "rows", "size", "sha256"]
    readonly_fields = fields


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["name", "version", "title", "status", "build_status", "restricted", "published_at"]
    list_filter = ["status", "build_status", "restricted", "license"]
    search_fields = ["name", "version", "title"]
    exclude = ["secret"]
    inlines = [ReleaseFileInline]
