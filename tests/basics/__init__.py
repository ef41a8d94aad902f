"""Tests of the shared basics beside the rooms (layout, words, spreadsheet, fsutil)."""
