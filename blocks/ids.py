"""Every action, block and view ID in one place.

Messages in Slack keep their IDs forever: never rename a value here, only add.
"""

from __future__ import annotations

from enum import StrEnum


class ActionId(StrEnum):
    # paging and sharing of /renewals
    NEXT_PAGE = "renewals_next"
    PREVIOUS_PAGE = "renewals_previous"
    SHARE = "renewals_share"
    CHOOSE_COLUMNS = "renewals_columns"  # opens the columns modal from a /renewals table
    OPEN_CLIENT = "renewals_open_client"  # select under a /renewals table: one client's detail
    EXPORT_CSV = "renewals_export_csv"  # the whole filtered view as a CSV file, in a DM
    # a client's buttons (in /renewal, /renewals and digests)
    REASSIGN_CONTACT = "client_reassign_contact"
    CHANGE_OWNER = "client_change_owner"
    END_ASSOCIATION = "client_end_association"
    RESTORE_ASSOCIATION = "client_restore_association"
    PICK_CLIENT = "client_pick"  # several matches for /renewal: pick one
    ADD_END_REASON = "client_add_end_reason"  # "Add a reason" to an ended association (admins)
    # one contract change's follow-up (digest items, reminders, /renewal)
    SNOOZE = "change_snooze"
    HANDLED = "change_handled"
    UNSNOOZE = "change_unsnooze"
    NOT_HANDLED = "change_not_handled"
    # a digest's whole list: "View all" under the digest, then its pages
    DIGEST_VIEW_ALL = "digest_view_all"
    DIGEST_NEXT_PAGE = "digest_list_next"
    DIGEST_PREVIOUS_PAGE = "digest_list_previous"
    # an import's whole list of changes that matter: "View all" under "What changed", then its pages
    WHAT_CHANGED_VIEW_ALL = "what_changed_view_all"
    WHAT_CHANGED_NEXT_PAGE = "what_changed_next"
    WHAT_CHANGED_PREVIOUS_PAGE = "what_changed_previous"
    # inputs inside modals
    CONTACT_SELECT = "contact_select"
    OWNER_SELECT = "owner_select"
    COLUMNS_CHECKBOXES = "columns_checkboxes"
    END_REASON = "end_reason"
    OWNER_KIND = "owner_kind"  # change-owner modal: HubSpot or a partner team member
    IMPORT_FILE = "import_file"  # the import modal's file input (a CSV)
    IMPORT_SKIP_INVALID = "import_skip_invalid"  # the import preview's "Skip invalid rows"


class BlockId(StrEnum):
    CONTACT_INPUT = "contact_input"
    OWNER_INPUT = "owner_input"
    COLUMNS_INPUT = "columns_input"
    END_REASON_INPUT = "end_reason_input"
    CLIENT_ACTIONS = "client_actions"  # suffixed with the client ID when several are in one message
    PAGING = "renewals_paging"
    OWNER_KIND_INPUT = "owner_kind_input"
    CLIENT_DETAIL = "client_detail"  # the header of a /renewal detail message: buttons there refresh it
    CLIENT_PICK = "client_pick"  # suffixed with the client ID: one per match when /renewal finds several
    END_REASON_PROMPT = "end_reason_prompt"  # the section holding the "Add a reason" button
    FOLLOW_UP = "follow_up"  # suffixed with the change ID: a contract change's snooze/handled buttons
    DIGEST_MORE = "digest_more"  # the digest's "and N more needing action" line, with "View all"
    DIGEST_LIST_PAGING = "digest_list_paging"  # Previous / Next under a digest's whole list
    WHAT_CHANGED_MORE = "what_changed_more"  # "What changed"'s "and N more changes", with "View all"
    WHAT_CHANGED_PAGING = "what_changed_paging"  # Previous / Next under an import's whole list
    IMPORT_FILE_INPUT = "import_file_input"
    IMPORT_SKIP_INPUT = "import_skip_input"


class ViewId(StrEnum):
    """callback_id of modals."""

    REASSIGN_CONTACT = "reassign_contact_modal"
    CHANGE_OWNER = "change_owner_modal"
    COLUMNS = "columns_modal"
    COLUMNS_SAVED = "columns_modal_saved"  # the columns modal once saved: what the tables will show
    END_REASON = "end_reason_modal"  # why an association ended, recorded after the fact
    HOME = "renewals_home"  # the App Home tab (a `home` view, not a modal)
    HOME_NOTICE = "home_notice_modal"  # an answer to a click on the Home tab (it has no response_url)
    IMPORT_UPLOAD = "import_upload_modal"  # /renewals import: choose the CSV file
    IMPORT_WORKING = "import_working_modal"  # "Reading…" / "Importing…" while the app works
    IMPORT_PREVIEW = "import_preview_modal"  # what the import would do; submit writes it
    IMPORT_DONE = "import_done_modal"  # what the import did (or why it did not)
