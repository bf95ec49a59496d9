"""Attachments in the UI: reading what the user attaches, thumbnails, drafts, opening files.

Everything slow (reading a PDF, decoding a 12-megapixel photo, making a thumbnail) runs on the
media worker (`jobs.MediaJobs`), never on the UI thread; results come back through Qt's event
queue to the widget that asked, if it still exists.
"""
