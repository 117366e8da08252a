"""X / Twitter archive: readers for its ``window.YTD`` files and parsers for their rows."""
