"""The embedded default's Celery broker: kombu's filesystem transport, each message written whole before a worker
can see it.

kombu's own transport creates a message's file under its final name and then writes it; a worker listing the
folder in between moves the still empty file away, reads nothing and stops on the JSON error (seen on a first
`bin/run` on a busy machine). Here the message is written under a name no queue matches ("." first) and renamed
into place, which the operating system does in one step. Settings: CELERY_BROKER_TRANSPORT.
"""

import os
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put `payload` onto `queue`: named as kombu names it (its time first, so that messages keep their
        order), written under a hidden name, then renamed."""
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        writing = os.path.join(self.data_folder_out, f".{name}.writing")
        try:
            with open(writing, "wb") as handle:
                handle.write(dumps(payload).encode())
            os.replace(writing, final)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {final!r} to directory") from exc


class Transport(filesystem.Transport):
    Channel = Channel
