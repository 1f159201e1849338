"""Reading the partner dashboard's CSV export: headers, cell values and per-row validation.

Pure functions, no database: `parse_csv` turns the text of a file into validated
`ImportRow`s plus the rows it refused (with their line numbers and reasons), the
warnings and the columns it did not know. `store.importer` writes the result.

Line numbers are the ones a spreadsheet shows: the header is line 1 and every record
is one line, even when a quoted cell spans several lines of text.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import lru_cache
from typing import IO, Any

from store.rules import (
    DEFAULT_CURRENCY,
    BillingFrequency,
    ContractType,
    OwnerKind,
    Status,
    renewal_deadline,
)


class CsvFormatError(Exception):
    """The file as a whole cannot be imported (one line for a person)."""


class Col(StrEnum):
    """The columns of the import format (contract.md), by their canonical header."""

    CLIENT_NAME = "Client name"
    HUB_ID = "Hub ID"
    WEBSITE = "Website"
    OWNER = "Communication owner"
    PRIMARY_CONTACT = "Primary client contact"
    CONTRACT_TYPE = "Contract type"
    STATUS = "Status"
    START_DATE = "Renewal start date"
    DEADLINE = "Renewal deadline"
    MAX_CONTACTS = "Max contacts"
    EMAIL_LIMIT = "Email limit"
    BILLING_FREQUENCY = "Billing frequency"
    SUBSCRIPTION_TERM = "Subscription term"
    CURRENT_MRR = "Current MRR"
    ESTIMATED_NEW_MRR = "Estimated new MRR"
    CONTACTS = "Contacts"
    PRODUCTS = "Products"
    CONTACTS_USED = "Contacts used"
    EMAILS_SENT = "Emails sent"


REQUIRED: tuple[Col, ...] = (Col.CLIENT_NAME, Col.HUB_ID, Col.CONTRACT_TYPE, Col.STATUS, Col.START_DATE)

_ALIASES: dict[Col, tuple[str, ...]] = {
    Col.CLIENT_NAME: ("Customer name",),
    Col.WEBSITE: ("Domain",),
    Col.OWNER: ("Renewal owner",),
    Col.PRIMARY_CONTACT: ("Customer primary contact",),
    Col.MAX_CONTACTS: ("Contact tier limit",),
    Col.ESTIMATED_NEW_MRR: ("Renewal MRR",),
    Col.CONTACTS: ("Account users",),
}


def _header_key(text: str) -> str:
    # Case-insensitive, surrounding spaces ignored; inner runs of spaces and underscores
    # count as one space so "Hub  ID" and "hub_id" are still the Hub ID.
    return " ".join(text.replace("_", " ").split()).casefold()


HEADERS: dict[str, Col] = {
    _header_key(name): column for column in Col for name in (column.value, *_ALIASES.get(column, ()))
}

# The last column of the app's own "Export CSV" (store.csv_export): the /renewals view the rows
# came from. A file with it is a view, not the dashboard's whole list of each client it names,
# so importing it removes nothing (store.importer).
EXPORTED_VIEW = "Exported view"

# Widths of the database columns (store/models.py): longer values are not read, never cut.
MAX_NAME = 500
MAX_HUB_ID = 20
MAX_DOMAIN = 253
MAX_EMAIL = 320
MAX_PERSON_NAME = 300
MAX_INT = 2_147_483_647  # INTEGER on PostgreSQL
MAX_MONEY_DECIMALS = 4  # NUMERIC(18, 4)
MAX_MONEY_INTEGER_DIGITS = 14
MAX_VIEW_TEXT = 300  # an EXPORTED_VIEW cell as kept for the summary


# --- cell values ------------------------------------------------------------------------------

# Client data repeats on every row of a client and dates repeat across clients, so the
# parsers of such cells remember recent answers (parsing is most of a big import's time).
# They return immutable values; refusals (exceptions) are not remembered.
_CACHE = 4096


class CellError(ValueError):
    """A cell's value cannot be read; the message says why, for a person.

    In a required column the row is invalid. In an optional one the cell is ignored with a
    warning, as if it were empty: the contract asks nothing more of those cells, and a real
    export should not be refused for a website or a count it spells its own way.
    """


class ForbiddenValueError(CellError):
    """A value the contract forbids (negative money or counts, a date not as YYYY-MM-DD):
    the row is invalid even when its column is optional."""


def _shown(value: str, limit: int = 40) -> str:
    return repr(value if len(value) <= limit else value[: limit - 1] + "…")


_DIGITS = re.compile(r"[0-9]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?|\.[0-9]+")
# Digits in groups of three, one separator throughout (`1,200`, `1 200`, `1'200`; spaces as
# spreadsheets write them), then `.` and the decimals: how the dashboard and most exports write.
_GROUPED = re.compile(
    r"[0-9]{1,3}(?P<sep>[,'’ \u00a0\u202f\u2009])[0-9]{3}(?:(?P=sep)[0-9]{3})*(?:\.[0-9]+)?"
)
# A decimal comma (`9311,75`, `1.200,50`, `1 200,50`): read only where the comma cannot be a
# thousands separator, so `1,200` stays one thousand two hundred.
_DECIMAL_COMMA = re.compile(
    r"(?P<integer>[0-9]{1,3}(?P<sep>[.'’ \u00a0\u202f\u2009])[0-9]{3}(?:(?P=sep)[0-9]{3})*|[0-9]+)"
    r",(?P<decimals>[0-9]+)"
)
_EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\".]+")
# A name holds no `<` or `>`: "Jane <jane@…>, Bob <bob@…>" is two people, not one named "Jane <jane@…>, Bob".
_NAMED_EMAIL = re.compile(r"(?P<name>[^<>]*?)\s*<(?P<email>[^<>]*)>")
_LABEL = re.compile(r"(?!-)[^\W_](?:[^\W_]|-){0,62}(?<!-)")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://")
_MAILTO = re.compile(r"^mailto:", re.IGNORECASE)
_OTHER_MONTHS = re.compile(r"other\s*[(:–-]?\s*([0-9]+)\s*(?:months?|mos?)?\s*\)?")
_EVERY_MONTHS = re.compile(r"(?:every\s*)?([0-9]+)[\s-]*(?:months?|mos?)")
_TERM = re.compile(r"(?P<number>.*?)\s*(?P<unit>months?|mos?|mths?|m|years?|yrs?|y)?")
_CODE_BEFORE = re.compile(r"([A-Za-z]{3})(?![A-Za-z])\s*(.*)")
_CODE_AFTER = re.compile(r"(.*?)\s*(?<![A-Za-z])([A-Za-z]{3})")
# The usual spellings, read with one match: `1200.50`, `$1,200.50`, `USD 1,200.50`, `1200.50 EUR`.
_PLAIN_MONEY = re.compile(
    r"(?:([A-Z]{3}) ?)?([$€£])?((?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+)(?:\.[0-9]{1,4})?)(?: ?([A-Z]{3}))?"
)
MINUS_SIGNS = ("-", "−", "–")

# Symbols people type in front of (or after) an amount, longest first so "US$" wins over "$".
CURRENCY_BY_SYMBOL: dict[str, str] = {
    "US$": "USD",
    "A$": "AUD",
    "C$": "CAD",
    "$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
}

_CONTRACT_TYPES = {
    "renewal": ContractType.RENEWAL,
    "contact tier upgrade": ContractType.CONTACT_TIER_UPGRADE,
    "contact upgrade": ContractType.CONTACT_TIER_UPGRADE,
    "ctu": ContractType.CONTACT_TIER_UPGRADE,
    "email overage": ContractType.EMAIL_OVERAGE,
    "eo": ContractType.EMAIL_OVERAGE,
}
_STATUSES = {
    "pending": Status.PENDING,
    "renewed": Status.RENEWED,
    "confirmed": Status.CONFIRMED,
    "cancellation requested": Status.CANCELLATION_REQUESTED,
}
_FREQUENCIES = {
    **dict.fromkeys(("monthly", "month", "every month"), BillingFrequency.MONTHLY),
    **dict.fromkeys(("quarterly", "quarter", "every quarter"), BillingFrequency.QUARTERLY),
    **dict.fromkeys(
        (
            *(f"semi{sep}annual{ly}" for sep in ("-", " ", "") for ly in ("", "ly")),
            "half-yearly",
            "half yearly",
        ),
        BillingFrequency.SEMI_ANNUAL,
    ),
    **dict.fromkeys(("annual", "annually", "yearly", "year", "every year"), BillingFrequency.ANNUAL),
}
# "Every N months" of the usual lengths is that frequency; any other length is "Other (N months)".
_BY_MONTHS = {
    1: BillingFrequency.MONTHLY,
    3: BillingFrequency.QUARTERLY,
    6: BillingFrequency.SEMI_ANNUAL,
    12: BillingFrequency.ANNUAL,
}


def _word_key(text: str) -> str:
    return " ".join(text.replace("_", " ").split()).casefold()


@lru_cache(maxsize=_CACHE)
def parse_hub_id(text: str) -> str:
    if not _DIGITS.fullmatch(text):
        raise CellError(f"{_shown(text)} is not digits")
    # "007" and "7" are the same account: spreadsheets drop leading zeros anyway.
    hub_id = text.lstrip("0") or "0"
    if len(hub_id) > MAX_HUB_ID:
        raise CellError(f"{_shown(text)} is longer than {MAX_HUB_ID} digits")
    return hub_id


def parse_text(text: str, limit: int) -> str:
    if len(text) > limit:
        raise CellError(f"is longer than {limit} characters ({len(text)})")
    return text


@lru_cache(maxsize=_CACHE)
def parse_domain(text: str) -> str:
    host = _SCHEME.sub("", text.strip().lower())
    host = re.split(r"[/?#]", host, maxsplit=1)[0]
    host = re.sub(r":[0-9]*$", "", host).rstrip(".")
    labels = host.split(".")
    if len(labels) < 2 or len(host) > MAX_DOMAIN or not all(_LABEL.fullmatch(label) for label in labels):
        raise CellError(f"{_shown(text)} is not a website domain (like example.com)")
    return host


def parse_email(text: str) -> str:
    email = _MAILTO.sub("", text.strip())  # a link's address, as some exports write emails
    if not _EMAIL.fullmatch(email):
        raise CellError(f"{_shown(text)} is not an email address")
    if len(email) > MAX_EMAIL:
        raise CellError(f"the email address is longer than {MAX_EMAIL} characters")
    return email.lower()


@dataclass(frozen=True, slots=True)
class Person:
    """A contact as written in the file: `Name <email>` or just an email."""

    email: str  # lower case: the key a contact is known by
    name: str | None = None

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


@lru_cache(maxsize=_CACHE)
def parse_person(text: str) -> Person:
    text = text.strip()
    if text.count("@") > 1:
        raise CellError(f"{_shown(text)} holds more than one email address (separate them with ';')")
    named = _NAMED_EMAIL.fullmatch(text)
    if named is None:
        if "<" in text or ">" in text:
            raise CellError(f"{_shown(text)} is not `Name <email>` or an email")
        return Person(email=parse_email(text))
    name = named.group("name").strip().strip('"').strip() or None
    if name is not None and len(name) > MAX_PERSON_NAME:
        raise CellError(f"the name is longer than {MAX_PERSON_NAME} characters")
    return Person(email=parse_email(named.group("email")), name=name)


@dataclass(frozen=True, slots=True)
class People:
    """A Contacts cell: the people it lists, and why each entry that could not be read is left out."""

    people: tuple[Person, ...]
    skipped: tuple[str, ...] = ()


def _entries(text: str) -> Iterator[str]:
    """A Contacts cell's entries: separated by `;`, or by `,` between people with an address each."""
    for entry in text.split(";"):
        if entry.count("@") <= 1:
            yield entry
            continue
        # "Jane <jane@…>, Bob <bob@…>": a comma ends a person once their address is read;
        # a comma before it is part of the name ("Doe, Jane <jane@…>").
        person = ""
        for part in entry.split(","):
            person = f"{person},{part}" if person else part
            if "@" in part:
                yield person
                person = ""
        yield person  # text after the last address: not a person, so reported as skipped


@lru_cache(maxsize=_CACHE)
def parse_people(text: str) -> People:
    """`Name <email>; Name <email>; …` (empty entries ignored, one entry per email, the first wins).

    An entry that is not a person is left out (and said why), the others are kept.
    """
    people: dict[str, Person] = {}
    skipped: list[str] = []
    for entry in _entries(text):
        if not entry.strip():
            continue
        try:
            person = parse_person(entry)
        except CellError as exc:
            skipped.append(str(exc))
            continue
        if person.email not in people or (person.name and not people[person.email].name):
            people[person.email] = person
    return People(tuple(people.values()), tuple(skipped))


@lru_cache(maxsize=_CACHE)
def parse_list(text: str) -> tuple[str, ...]:
    """`a; b; c`, blanks dropped, each name once, in the file's order."""
    return tuple(dict.fromkeys(part.strip() for part in text.split(";") if part.strip()))


@lru_cache(maxsize=_CACHE)
def parse_owner(text: str) -> tuple[OwnerKind, str | None, str | None]:
    """`HubSpot`, `Partner`, or a partner member: `email` or `Name <email>` -> (kind, email, name)."""
    key = _word_key(text)
    if key == "hubspot":
        return OwnerKind.HUBSPOT, None, None
    if key == "partner":
        return OwnerKind.PARTNER, None, None
    if "@" in text:
        person = parse_person(text)
        return OwnerKind.PARTNER, person.email, person.name
    raise CellError(f"{_shown(text)} is not HubSpot, Partner or a partner member's email")


def parse_contract_type(text: str) -> ContractType:
    try:
        return _CONTRACT_TYPES[_word_key(text)]
    except KeyError:
        raise CellError(
            f"{_shown(text)} is not a contract type (Renewal, Contact tier upgrade, Email overage)"
        ) from None


def parse_status(text: str) -> Status:
    try:
        return _STATUSES[_word_key(text)]
    except KeyError:
        raise CellError(
            f"{_shown(text)} is not a status (Pending, Renewed, Confirmed, Cancellation requested)"
        ) from None


@lru_cache(maxsize=_CACHE)
def parse_date(text: str) -> date:
    # The contract's one date format: `03/04/2027` is refused rather than guessed at.
    if not _DATE.fullmatch(text):
        raise ForbiddenValueError(f"{_shown(text)} is not a date as YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ForbiddenValueError(f"{_shown(text)} is not a real date") from None


def parse_deadline(text: str) -> date:
    """The optional Renewal deadline: only compared with the derived one, so a date written
    another way is a warning (the derived deadline is used), never a refused row."""
    try:
        return parse_date(text)
    except ForbiddenValueError as exc:
        raise CellError(f"{exc} (the deadline is always derived from the start date)") from None


def _unsigned(text: str) -> tuple[bool, str]:
    """(whether the value is written as negative, the text without its sign).

    Negative is a leading or trailing minus (`-5`, `−5`, `5-`) or accounting brackets (`(5)`).
    """
    text = text.strip()
    if text[:1] == "(" and text[-1:] == ")":
        return True, text[1:-1].strip()
    if text[:1] in MINUS_SIGNS:
        return True, text[1:].strip()
    if text[-1:] in MINUS_SIGNS:
        return True, text[:-1].strip()
    return False, text.removeprefix("+").strip()


def _number(text: str) -> str | None:
    """An unsigned number as `Decimal()` reads it (`1200.50`), from the spellings exports use."""
    if _NUMBER.fullmatch(text):
        return text
    if _GROUPED.fullmatch(text):
        return re.sub(r"[^0-9.]", "", text)
    comma = _DECIMAL_COMMA.fullmatch(text)
    if comma is not None:
        return f"{re.sub(r'[^0-9]', '', comma.group('integer'))}.{comma.group('decimals')}"
    return None


def _negative(text: str) -> ForbiddenValueError:
    return ForbiddenValueError(f"{_shown(text)} is negative (must be 0 or more)")


def parse_whole(text: str) -> int:
    if text.isascii() and text.isdigit() and len(text) < 10:  # the common case, fast
        return int(text)
    negative, rest = _unsigned(text)
    number = _number(rest)
    integer, _, decimals = (number or "").partition(".")
    # `1000.0` is a spreadsheet's float of 1000; `1.000` may be a thousand written the European
    # way and `1.5` is no count at all, so those are not read.
    if number is None or decimals.strip("0") or len(decimals) > 2:
        raise CellError(f"{_shown(text)} is not a whole number")
    value = int(integer or "0")
    if negative and value:
        raise _negative(text)  # `-0` is 0: not negative
    if value > MAX_INT:
        raise CellError(f"{_shown(text)} is too large")
    return value


def parse_term(text: str) -> int:
    """Subscription term in months: `12`, `12 months`, `12 mo`, or in years: `1 year`, `2 yrs`."""
    match = _TERM.fullmatch(text.strip().lower())
    assert match is not None  # the pattern matches any text
    try:
        value = parse_whole(match.group("number"))
    except ForbiddenValueError:
        raise _negative(text) from None
    except CellError:
        raise CellError(f"{_shown(text)} is not a whole number of months") from None
    if (match.group("unit") or "m").startswith("y"):
        value *= 12
    if value > MAX_INT:
        raise CellError(f"{_shown(text)} is too large")
    return value


@lru_cache(maxsize=_CACHE)
def parse_billing(text: str) -> tuple[BillingFrequency, int | None]:
    key = _word_key(text)
    if key in _FREQUENCIES:
        return _FREQUENCIES[key], None
    every = _EVERY_MONTHS.fullmatch(key)
    other = _OTHER_MONTHS.fullmatch(key) or every
    if other is not None:
        months = int(other.group(1))
        if not 1 <= months <= 1200:
            raise CellError(f"{_shown(text)}: the number of months must be 1 or more")
        if every is not None and months in _BY_MONTHS:
            return _BY_MONTHS[months], None
        return BillingFrequency.OTHER, months
    if key == "other":
        raise CellError(f"{_shown(text)}: say how many months, as `Other (N months)`")
    raise CellError(
        f"{_shown(text)} is not a billing frequency "
        "(Monthly, Quarterly, Semi-annual, Annual, Other (N months))"
    )


@dataclass(frozen=True, slots=True)
class Amount:
    value: Decimal
    currency: str | None  # None when the cell named no currency
    rounded_from: str | None = None  # the cell's text, when it had more decimals than are kept


def _currencies(text: str) -> tuple[set[str], str]:
    """The currencies a money cell names (code before or after, symbol before or after), and the rest."""
    rest = text
    currencies: set[str] = set()
    before = _CODE_BEFORE.fullmatch(rest)
    if before is not None:
        currencies.add(before.group(1).upper())
        rest = before.group(2).strip()
    after = _CODE_AFTER.fullmatch(rest)
    if after is not None:
        currencies.add(after.group(2).upper())
        rest = after.group(1).strip()
    for symbol, code in CURRENCY_BY_SYMBOL.items():
        if rest.startswith(symbol):
            currencies.add(code)
            rest = rest[len(symbol) :].strip()
            break
        if rest.endswith(symbol):
            currencies.add(code)
            rest = rest[: -len(symbol)].strip()
            break
    return currencies, rest


def parse_money(text: str) -> Amount:
    """`1200.50`, `$1,200.50`, `USD 1,200.50`, `1200.50 EUR`, `€99`, exact, never negative.

    The number uses `.` for decimals and `,` (or a space or `'`) between thousands, as the
    dashboard exports it; a decimal comma is read where it cannot be a thousands separator
    (`9311,75`, `1.200,50`). Anything else (a float's `1e3`, a range) is not read.
    """
    fast = _PLAIN_MONEY.fullmatch(text)
    if fast is not None:
        code_before, symbol, number, code_after = fast.groups()
        found = {c for c in (code_before, CURRENCY_BY_SYMBOL.get(symbol or ""), code_after) if c}
        digits = number.replace(",", "")
        if len(found) <= 1 and len(digits.partition(".")[0].lstrip("0")) <= MAX_MONEY_INTEGER_DIGITS:
            return Amount(value=Decimal(digits), currency=next(iter(found), None))
    negative, rest = _unsigned(text)
    currencies, rest = _currencies(rest)
    negative_number, rest = _unsigned(rest)  # `$-10`, `USD (10)`
    if len(currencies) > 1:
        raise CellError(f"{_shown(text)} names two currencies ({', '.join(sorted(currencies))})")
    number = _number(rest)
    if number is None:
        raise CellError(f"{_shown(text)} is not an amount of money (like 1,200.50 or USD 1200.50)")
    value = Decimal(number)
    if (negative or negative_number) and value:
        raise _negative(text)  # `-0.00` is 0: not negative
    if len(number.partition(".")[0].lstrip("0")) > MAX_MONEY_INTEGER_DIGITS:
        raise CellError(f"{_shown(text)} is too large")
    rounded_from = None
    if len(number.partition(".")[2]) > MAX_MONEY_DECIMALS:
        value = value.quantize(Decimal(1).scaleb(-MAX_MONEY_DECIMALS), rounding=ROUND_HALF_UP)
        rounded_from = text
    return Amount(value=value, currency=next(iter(currencies), None), rounded_from=rounded_from)


# --- rows ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class ImportRow:
    """One valid contract change from the file, with the client data its row carries.

    Optional values are None when the cell was empty (or the column absent: see
    `ParsedFile.columns` to tell the two apart).
    """

    line: int
    hub_id: str
    client_name: str
    contract_type: ContractType
    status: Status
    renewal_start_date: date
    domain: str | None = None
    owner_kind: OwnerKind | None = None
    owner_email: str | None = None
    owner_name: str | None = None
    primary_contact: Person | None = None
    contacts: tuple[Person, ...] = ()
    products: tuple[str, ...] | None = None
    contacts_used: int | None = None
    emails_sent: int | None = None
    max_contacts: int | None = None
    email_limit: int | None = None
    billing_frequency: BillingFrequency | None = None
    billing_months: int | None = None
    subscription_term_months: int | None = None
    # Each amount keeps its own currency, set with it (a bare amount takes the other cell's, else USD).
    current_mrr: Decimal | None = None
    current_mrr_currency: str | None = None
    estimated_new_mrr: Decimal | None = None
    estimated_new_mrr_currency: str | None = None
    # Optional cells that could not be read: ignored (with a warning), so what is stored is kept.
    ignored: frozenset[Col] = frozenset()

    @property
    def key(self) -> tuple[str, ContractType, date]:
        return (self.hub_id, self.contract_type, self.renewal_start_date)

    @property
    def renewal_deadline(self) -> date:
        return renewal_deadline(self.renewal_start_date)


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A row that cannot be imported: its spreadsheet line number and why."""

    line: int
    reasons: tuple[str, ...]
    text_line: int | None = None  # the line in a text editor, when a multi-line cell shifts it

    def __str__(self) -> str:
        where = f"line {self.line}"
        if self.text_line is not None and self.text_line != self.line:
            where += f" (text line {self.text_line})"
        return f"{where}: {'; '.join(self.reasons)}"


@dataclass(frozen=True, slots=True)
class RowWarning:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class ParsedFile:
    columns: frozenset[Col]  # the known columns the file has
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[RowWarning] = field(default_factory=list)
    unknown_columns: list[str] = field(default_factory=list)
    # The view an "Export CSV" file came from (its EXPORTED_VIEW cell); None: not the app's export.
    exported_view: str | None = None

    @property
    def data_rows(self) -> int:
        return len(self.rows) + len(self.problems)


# --- the file -------------------------------------------------------------------------------------


def _not_utf8(body: bytes, name: str) -> CsvFormatError:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        return CsvFormatError(
            f"{name} is not UTF-8 text (byte 0x{body[exc.start]:02x} on line {line}): "
            'save it as "CSV UTF-8" and import it again'
        )
    return CsvFormatError(f'{name} is not UTF-8 text: save it as "CSV UTF-8" and import it again')


def parse_bytes(
    data: bytes, *, name: str = "the file", progress: Callable[[int], None] | None = None
) -> ParsedFile:
    """`parse_csv` for a file's bytes: UTF-8, a byte-order mark accepted and dropped.

    The text is decoded as it is read, so a big file is never held twice in memory.
    """
    body = data.removeprefix(codecs.BOM_UTF8)
    if not body.strip():
        raise CsvFormatError(f"{name} is empty: it needs a header row and one row per contract change")
    stream = io.TextIOWrapper(io.BytesIO(body), encoding="utf-8", newline="")
    try:
        return parse_csv(stream, name=name, progress=progress, check_nul=b"\x00" in body)
    except UnicodeDecodeError:
        raise _not_utf8(body, name) from None


def _map_header(cells: list[str], name: str) -> tuple[dict[int, Col], list[str], int | None]:
    """(known columns by index, unknown headers, the index of the EXPORTED_VIEW column or None)."""
    by_index: dict[int, Col] = {}
    seen: dict[Col, str] = {}
    unknown: list[str] = []
    exported_view: int | None = None
    for index, cell in enumerate(cells):
        label = cell.strip()
        if not label:
            continue
        if _header_key(label) == _header_key(EXPORTED_VIEW):
            exported_view = index if exported_view is None else exported_view
            continue
        column = HEADERS.get(_header_key(label))
        if column is None:
            if _header_key(label) not in {_header_key(u) for u in unknown}:
                unknown.append(label)
            continue
        if column in seen:
            raise CsvFormatError(
                f"{name}: the columns {seen[column]!r} and {label!r} both mean {column.value}"
            )
        seen[column] = label
        by_index[index] = column
    if not by_index:
        hint = ""
        if len(cells) == 1 and (";" in cells[0] or "\t" in cells[0]):
            hint = " (the columns look separated by semicolons or tabs; the import needs commas)"
        raise CsvFormatError(
            f"{name} has no header row{hint}: its first line must name the columns, "
            f"such as {', '.join(c.value for c in REQUIRED)}"
        )
    missing = [c.value for c in REQUIRED if c not in seen]
    if missing:
        raise CsvFormatError(
            f"{name} is missing required column{'s' if len(missing) > 1 else ''}: {', '.join(missing)}"
        )
    return by_index, unknown, exported_view


def parse_client_name(text: str) -> str:
    return parse_text(text, MAX_NAME)


# Column -> (parser, ImportRow attribute). Owner, billing, deadline, money and contacts go
# through a temporary name and are unpacked in _parse_row.
_PARSERS: dict[Col, tuple[Callable[[str], Any], str]] = {
    Col.CLIENT_NAME: (parse_client_name, "client_name"),
    Col.HUB_ID: (parse_hub_id, "hub_id"),
    Col.WEBSITE: (parse_domain, "domain"),
    Col.OWNER: (parse_owner, "_owner"),
    Col.PRIMARY_CONTACT: (parse_person, "primary_contact"),
    Col.CONTRACT_TYPE: (parse_contract_type, "contract_type"),
    Col.STATUS: (parse_status, "status"),
    Col.START_DATE: (parse_date, "renewal_start_date"),
    Col.DEADLINE: (parse_deadline, "_deadline"),
    Col.MAX_CONTACTS: (parse_whole, "max_contacts"),
    Col.EMAIL_LIMIT: (parse_whole, "email_limit"),
    Col.BILLING_FREQUENCY: (parse_billing, "_billing"),
    Col.SUBSCRIPTION_TERM: (parse_term, "subscription_term_months"),
    Col.CURRENT_MRR: (parse_money, "_current"),
    Col.ESTIMATED_NEW_MRR: (parse_money, "_estimated"),
    Col.CONTACTS: (parse_people, "_contacts"),
    Col.PRODUCTS: (parse_list, "products"),
    Col.CONTACTS_USED: (parse_whole, "contacts_used"),
    Col.EMAILS_SENT: (parse_whole, "emails_sent"),
}

# What _parse_row does for each header cell it knows: (index, column, parser, attribute, required).
_Plan = list[tuple[int, Col, Callable[[str], Any], str, bool]]


def _plan(by_index: dict[int, Col]) -> _Plan:
    return [
        (index, column, *_PARSERS[column], column in REQUIRED) for index, column in sorted(by_index.items())
    ]


def _nul_columns(cells: list[str], plan: _Plan) -> list[str]:
    """The columns whose cell has a NUL character (PostgreSQL cannot store one)."""
    return [column.value for index, column, *_ in plan if index < len(cells) and "\x00" in cells[index]]


# What spreadsheets and exports put in an optional cell that has no value.
_PLACEHOLDERS = frozenset({"-", "--", "–", "—", "n/a", "na", "none", "null"})


def _parse_row(cells: list[str], plan: _Plan, line: int) -> tuple[ImportRow | None, list[str], list[str]]:
    """A row's cells -> (row or None, reasons it is invalid, warnings). Called once per row: kept lean."""
    reasons: list[str] = []
    warnings: list[str] = []
    ignored: list[Col] = []
    got: dict[str, Any] = {}
    width = len(cells)
    for index, column, parse, attr, required in plan:
        text = cells[index].strip() if index < width else ""
        if not text or (not required and len(text) <= 4 and text.casefold() in _PLACEHOLDERS):
            if required:
                reasons.append(f"{column.value} is empty")
            continue
        try:
            got[attr] = parse(text)
        except CellError as exc:
            if required or isinstance(exc, ForbiddenValueError):
                reasons.append(f"{column.value}: {exc}")
            else:
                ignored.append(column)
                warnings.append(f"{column.value}: {exc}; the cell is ignored")
    if reasons:
        return None, reasons, []

    deadline: date | None = got.pop("_deadline", None)
    start: date = got["renewal_start_date"]
    derived = renewal_deadline(start)
    if deadline is not None and deadline != derived:
        warnings.append(
            f"renewal deadline {deadline.isoformat()} is not 45 days before the renewal start date "
            f"{start.isoformat()}; the derived deadline {derived.isoformat()} is used"
        )
    owner = got.pop("_owner", None)
    billing = got.pop("_billing", None)
    current: Amount | None = got.pop("_current", None)
    estimated: Amount | None = got.pop("_estimated", None)
    listed: People | None = got.pop("_contacts", None)
    row = ImportRow(line=line, **got)
    if ignored:
        row.ignored = frozenset(ignored)
    if owner is not None:
        row.owner_kind, row.owner_email, row.owner_name = owner
    if billing is not None:
        row.billing_frequency, row.billing_months = billing
    if current is not None:
        row.current_mrr, row.current_mrr_currency = current.value, _currency(current, estimated)
    if estimated is not None:
        row.estimated_new_mrr, row.estimated_new_mrr_currency = estimated.value, _currency(estimated, current)
    for column, amount in ((Col.CURRENT_MRR, current), (Col.ESTIMATED_NEW_MRR, estimated)):
        if amount is not None and amount.rounded_from is not None:
            warnings.append(
                f"{column.value}: {_shown(amount.rounded_from)} has more than {MAX_MONEY_DECIMALS} "
                f"decimal places; rounded to {amount.value}"
            )
    if listed is not None:
        row.contacts = listed.people
        warnings.extend(f"{Col.CONTACTS.value}: {why}; that entry is ignored" for why in listed.skipped)
    primary = row.primary_contact
    if primary is not None:
        # The primary contact is always one of the client's contacts (named, if either cell names them).
        known = next((p for p in row.contacts if p.email == primary.email), None)
        if known is None:
            row.contacts = (*row.contacts, primary)
        elif primary.name and not known.name:
            row.contacts = tuple(primary if p is known else p for p in row.contacts)
    return row, [], warnings


def _currency(amount: Amount, other: Amount | None) -> str:
    """Each money cell keeps its own currency; one without takes the other cell's, else USD (contract.md)."""
    return amount.currency or (other.currency if other is not None else None) or DEFAULT_CURRENCY


def _records(source: str | IO[str]) -> Iterator[tuple[int, int, list[str]]]:
    """(spreadsheet line, first text line, cells) for every record, blank ones included."""
    reader = csv.reader(io.StringIO(source, newline="") if isinstance(source, str) else source)
    line = 0
    while True:
        first_text_line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise CsvFormatError(f"line {line + 1} cannot be read as CSV: {exc}") from None
        line += 1
        yield line, first_text_line, cells


def parse_csv(
    source: str | IO[str],
    *,
    name: str = "the file",
    progress: Callable[[int], None] | None = None,
    check_nul: bool | None = None,
) -> ParsedFile:
    """Validate every row of an export. File-level problems raise `CsvFormatError`.

    `progress` is called now and then with the number of records read so far.
    """
    records = _records(source)
    header: list[str] | None = None
    for _line, _text_line, cells in records:
        if any(c.strip() for c in cells):
            header = cells
            break
    if header is None:
        raise CsvFormatError(f"{name} is empty: it needs a header row and one row per contract change")
    by_index, unknown, view_index = _map_header(header, name)
    parsed = ParsedFile(columns=frozenset(by_index.values()), unknown_columns=unknown)
    if view_index is not None:
        parsed.exported_view = ""  # an export, whichever view (its first row says which)
    width = len(header)
    plan = _plan(by_index)
    # Checked cell by cell only when the file has one at all (unknown for a stream: every row).
    has_nul = check_nul if check_nul is not None else not isinstance(source, str) or "\x00" in source
    first_rows: dict[tuple[str, ContractType, date], ImportRow] = {}
    for line, text_line, cells in records:
        if progress is not None and line % 2000 == 0:
            progress(line)
        if not "".join(cells).strip():
            continue  # a blank line is not a contract change
        nul = _nul_columns(cells, plan) if has_nul else None
        if nul:
            problem = f"{', '.join(nul)}: contains a NUL character"
            parsed.problems.append(RowProblem(line=line, reasons=(problem,), text_line=text_line))
            continue
        if parsed.exported_view == "" and view_index is not None and view_index < len(cells):
            parsed.exported_view = cells[view_index].strip()[:MAX_VIEW_TEXT]
        row, reasons, warnings = _parse_row(cells, plan, line)
        if len(cells) > width and "".join(cells[width:]).strip():
            reasons.append(f"has {len(cells)} cells but the header names {width} columns")
        if row is not None and not reasons:
            earlier = first_rows.get(row.key)
            if earlier is None:
                first_rows[row.key] = row
            elif replace(row, line=earlier.line) == earlier:
                # A repeated line (a copy-paste, an export glitch) is the same change: once is enough.
                parsed.warnings.append(RowWarning(line, f"the same as line {earlier.line}; imported once"))
                continue
            else:
                reasons.append(
                    f"the same contract change (Hub ID {row.hub_id}, {row.contract_type.label}, "
                    f"{row.renewal_start_date.isoformat()}) is already on line {earlier.line}, "
                    "with other values"
                )
        if reasons:
            parsed.problems.append(RowProblem(line=line, reasons=tuple(reasons), text_line=text_line))
            continue
        assert row is not None
        parsed.rows.append(row)
        if warnings:
            parsed.warnings.extend(RowWarning(line, message) for message in warnings)
    return parsed
