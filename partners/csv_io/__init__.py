"""CSV import and export of partners and contacts. No HTTP here: the views only parse and call.

Files come from Excel as often as from other systems: UTF-8 (with or without BOM) or
Shift_JIS/CP932, headers in English snake_case or in Japanese. `preview` checks every row with
the rules the forms use (services.clean_identifiers, partners.japan); `apply` runs the preview
again and writes everything through the services in one transaction, or nothing at all. The
console queues the apply (`apply_queue`) and a worker runs it (`import_run`), since a large file
takes longer than a web request may.
An export writes the same columns, so exporting and importing again changes nothing.

A package, one module per concern: columns (the two files' columns), reading (encoding, header, cells,
the file's own checks), cells (one value parsed and shown), previews (rows checked and decided),
importing (apply, queue, worker, progress) and export. This module names what the rest of Kyoso uses.
"""

from partners.csv_io.cells import LIST_SEPARATORS
from partners.csv_io.columns import (
    BANK_KEYS,
    COLUMNS,
    CONTACT_COLUMNS,
    CONTACT_PARTNER_KEYS,
    CONTACTS,
    CREATE,
    IDENTIFIER_KEYS,
    PARTNER_COLUMNS,
    PARTNERS,
    UNCHANGED,
    UPDATE,
    Column,
)
from partners.csv_io.export import contact_table, export_contacts, export_partners, partner_table
from partners.csv_io.importing import (
    PROGRESS_EVERY,
    Progress,
    apply,
    apply_queue,
    discard,
    import_progress,
    import_run,
)
from partners.csv_io.previews import Preview, PreviewRow, preview
from partners.csv_io.reading import (
    ENCODING_LABELS,
    ENCODINGS,
    MAX_ROWS,
    Header,
    check_file,
    clean_cell,
    decode,
    header_key,
    read_header,
)
from prm.csv_import import CheckedFile, RowError

__all__ = [
    "BANK_KEYS", "COLUMNS", "CONTACTS", "CONTACT_COLUMNS", "CONTACT_PARTNER_KEYS", "CREATE", "ENCODINGS",
    "ENCODING_LABELS", "IDENTIFIER_KEYS", "LIST_SEPARATORS", "MAX_ROWS", "PARTNERS", "PARTNER_COLUMNS",
    "PROGRESS_EVERY", "UNCHANGED", "UPDATE", "CheckedFile", "Column", "Header", "Preview", "PreviewRow", "Progress",
    "RowError", "apply", "apply_queue", "check_file", "clean_cell", "contact_table", "decode", "discard",
    "export_contacts", "export_partners", "header_key", "import_progress", "import_run", "partner_table", "preview",
    "read_header",
]
