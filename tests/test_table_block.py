"""blocks.message.table writes each cell's JSON itself: it must be what slack_sdk's models make."""

from __future__ import annotations

import pytest
from slack_sdk.models.blocks import RawTextObject, TableBlock, TableBlockColumnSettings

from blocks.message import table


def test_a_table_is_the_json_slack_sdk_makes_of_the_same_cells() -> None:
    rows = [["Client", "MRR"], ["Acme <!channel>", "$1,200.00"]]
    settings = [TableBlockColumnSettings(is_wrapped=True), None]
    expected = TableBlock(
        rows=[[RawTextObject(text=cell) for cell in row] for row in rows], column_settings=settings
    )
    assert table(rows, settings).to_dict() == expected.to_dict()


def test_an_empty_cell_is_refused_as_slack_sdk_refuses_it() -> None:
    with pytest.raises(ValueError, match="at least 1 character"):
        table([["Client", ""]])
