"""KEY=VALUE environment files such as docs/production.env (read without loading the settings)."""

from pathlib import Path


def read_env_file(path):
    """The variables of a KEY=VALUE file such as docs/production.env (blank lines and # comments skipped)."""
    lines = Path(path).read_text().splitlines()
    pairs = (line.partition("=") for line in lines if line.strip() and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, _, value in pairs}
