"""Result formatters shared by the shell and the CLI: table, csv, tsv, json, jsonl, markdown."""
