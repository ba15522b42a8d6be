from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token


class AnnotatorTokenAuthentication(TokenAuthentication):
    """Token authentication that loads the user's Annotator profile in the same query.

    Every call of the rating API needs the annotator; this saves a query per request.
    """

    def authenticate_credentials(self, key):
        token = Token.objects.select_related("user__annotator").filter(key=key).first()
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return token.user, token
