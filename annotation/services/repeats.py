"""Telling new import records from repeats of what is stored, for every importer."""


def split_new(keyed, stored, digest_of, conflict, summary, kind):
    """The records of ``keyed`` ((key, record, as written) triples) not stored yet, as key -> (record, digest).

    A record identical to a stored one, or to an earlier one of the file, is counted as unchanged; one that
    contradicts it raises the RecordError that ``conflict(record, written)`` makes: imports never overwrite.
    """
    new = {}
    for key, record, written in keyed:
        digest = digest_of(record)
        known = stored.get(key) or (new[key][1] if key in new else None)
        if known is None:
            new[key] = (record, digest)
        elif known != digest:
            raise conflict(record, written)
        else:
            summary.unchanged[kind] += 1
    return new

