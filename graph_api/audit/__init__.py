"""The coverage audit ("全覆盖、无死角"): runs the named checks through the store interface and
turns their output into a report (JSON, table, CSV, HTML) with history."""
