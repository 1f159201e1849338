"""Slack's published Block Kit limits, in one place.

Taken from shared/slack-platform.md (§1 Block Kit limits, §2 tables), which cites Slack's
docs (https://docs.slack.dev/reference/block-kit/blocks, .../block-kit/blocks/table-block,
https://docs.slack.dev/reference/views/modal-views) and slack_sdk's models for each.

Only Slack's limits live here; the app's own choices (how many contract changes a detail
shows, how many matches to offer...) stay where they are used. tests/fake_slack.py keeps
its own copy on purpose: it checks the app against Slack's docs, not against this module.
"""

from __future__ import annotations

# Blocks per surface.
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100  # a modal or the Home tab

# Text, in characters.
SECTION_CHARS = 3000  # a section's text (and any one text object)
FIELD_CHARS = 2000  # each of a section's fields
HEADER_CHARS = 150  # a header's plain_text
ID_CHARS = 255  # a block_id or action_id
ACCESSIBILITY_LABEL_CHARS = 75  # a button's accessibility_label
BUTTON_VALUE_CHARS = 2000
CONFIRM_TEXT_CHARS = 300  # the text of a confirm dialog
PRIVATE_METADATA_CHARS = 3000  # a view's private_metadata

# The card block: title and subtitle, body (mrkdwn).
CARD_TITLE_CHARS = 150
CARD_BODY_CHARS = 200

# Selects (static menus, and a block_suggestion answer).
MAX_SELECT_OPTIONS = 100
OPTION_TEXT_CHARS = 75
OPTION_VALUE_CHARS = 150

# The table block (one per message).
MAX_TABLE_ROWS = 100  # the header row included
MAX_TABLE_CELLS = 20  # per row
TABLE_TEXT_CHARS = 10_000  # all cell text of a table, and of all tables in a message

# Files a person uploads through a modal's file input (docs: block-elements/file-input-element).
FILE_INPUT_MAX_BYTES = 10 * 1024 * 1024  # "There is a 10MB file size limit."
FILE_INPUT_MAX_FILES = 10  # max_files: 1 to 10
