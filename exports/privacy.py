"""How annotators appear in a release: a pseudonym of their own for each release, and nothing else unless
the lead opts in.

The pseudonym is HMAC-SHA256 of the annotator's platform pseudonym (a random UUID, itself never
published) keyed with the release's secret, so the same person has unrelated pseudonyms in two
releases and nobody without the secret can link them; it is stable within a release, so rebuilding a
draft gives the same names.
"""

import hashlib
import hmac
import secrets

PREFIX = "ann-"
SHORT_DIGITS = 8
LONG_DIGITS = 16


def release_secret():
    return secrets.token_hex(32)


def pseudonyms(secret, annotator_pseudonyms):
    """{platform pseudonym: release pseudonym} for every given platform pseudonym (UUIDs or their text).

    Eight hex digits are enough to tell apart the annotators of any real campaign; should two of them
    collide anyway, every name of the release gets sixteen.
    """
    digests = {
        str(value): hmac.new(secret.encode(), str(value).encode(), hashlib.sha256).hexdigest()
        for value in annotator_pseudonyms
    }
    short = {key: digest[:SHORT_DIGITS] for key, digest in digests.items()}
    digits = SHORT_DIGITS if len(set(short.values())) == len(short) else LONG_DIGITS
    return {key: PREFIX + digest[:digits] for key, digest in digests.items()}
