"""Each user's own API token: made and revoked by its owner on the profile page or through the API."""

from django.db import transaction
from rest_framework.authtoken.models import Token


@transaction.atomic
def token_make(*, user):
    """A new token for the user, replacing the old one (which stops working at once)."""
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


def token_revoke(*, user):
    """Revoke the user's token; True if there was one."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return deleted > 0
