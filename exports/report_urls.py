"""The campaign report for leads: the page, and the same numbers as JSON through the API."""

urlpatterns = []
