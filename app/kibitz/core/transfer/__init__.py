"""Export (Markdown, lossless JSON) and import (ChatGPT's export, Kibitz JSON) of conversations.

Public API: `import_file` / `read_export` (with `ImportProgress`, `ImportReport`),
`export_markdown`, `export_json_file`, `json_export_path`, `write_json_stream`,
`chosen_conversations`, `conversation_to_markdown`, `export_filename`, and the errors
`ImportFileError` and `ExportWriteError` (both `TransferError`, part of the one error tree).
"""

from kibitz.core.transfer.errors import ExportWriteError, ImportFileError, TransferError
from kibitz.core.transfer.exporter import (
    chosen_conversations,
    export_json_file,
    export_markdown,
    json_export_path,
    write_json_stream,
)
from kibitz.core.transfer.filenames import export_filename
from kibitz.core.transfer.importer import (
    ImportProgress,
    ImportReport,
    ParsedExport,
    import_file,
    read_export,
)
from kibitz.core.transfer.json_export import FORMAT_NAME, FORMAT_VERSION, conversation_to_json
from kibitz.core.transfer.markdown_export import conversation_to_markdown

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "ExportWriteError",
    "ImportFileError",
    "ImportProgress",
    "ImportReport",
    "ParsedExport",
    "TransferError",
    "chosen_conversations",
    "conversation_to_json",
    "conversation_to_markdown",
    "export_filename",
    "export_json_file",
    "export_markdown",
    "import_file",
    "json_export_path",
    "read_export",
    "write_json_stream",
]
