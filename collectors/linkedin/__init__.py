"""LinkedIn "Download your data" archive: readers for its CSV files and parsers for their rows."""
