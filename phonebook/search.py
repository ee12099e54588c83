"""``search(query, limit)``: one function, each engine's own index behind it.

Ranking, best first (ties by folded name, then id, so that the order is
stable):

0. the name is the query (accents, case and punctuation ignored);
1. the name starts with the query;
2. every word of the query starts a word of the name;
3. every word starts a word of the name, company or department.

Digits in the query ("0958", "+44 20 7946") must occur in one of the
contact's numbers; a number equal to the query (also in canonical form)
ranks first. Each rank is one bounded query that stops as soon as enough
contacts are found, so common prefixes cost no more than rare ones. Ranks 0
and 1 are one query: among the names that start with the query, sorted by
folded name, the name that is the query comes first.

The statements are written by hand, per engine (issue 16): built with the
ORM, compiling a rank's query cost about ten times what the database took
to run it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Prefetch, QuerySet
from django.db.models.expressions import RawSQL

from phonebook.models import Contact, PhoneNumber
from phonebook.numbers import to_e164
from phonebook.text import Query, parse_query

MAX_LIMIT = 200
# MariaDB's InnoDB FULLTEXT does not index shorter words (innodb_ft_min_token_size).
_MYSQL_MIN_TOKEN = 3
# SQLite's trigram index finds substrings of at least three characters.
_TRIGRAM = 3
_CONTACT = Contact._meta.db_table
_NUMBER = PhoneNumber._meta.db_table

# An SQL condition on the contacts' table, and its parameters.
Condition = tuple[str, list]


def _raw_filter(sql: str, params: list) -> RawSQL:
    return RawSQL(sql, params, output_field=BooleanField())  # noqa: S611 (values are parameters)


def _next_prefix(text: str) -> str:
    """The smallest string greater than every string that starts with ``text``."""
    return text[:-1] + chr(ord(text[-1]) + 1)


def _like(operator: str, pattern: str) -> Condition:
    """``sort_name`` ... as Django's ``operator`` lookup (``startswith``, ``contains``) writes it here."""
    return connection.operators[operator] % "%s", [pattern]


def _column_like(column: str, operator: str, text: str) -> Condition:
    """``column`` starts with (``startswith``) or contains (``contains``) ``text``, as Django's lookups do."""
    escaped = connection.ops.prep_for_like_query(text)
    pattern = f"{escaped}%" if operator == "startswith" else f"%{escaped}%"
    sql, params = _like(operator, pattern)
    return f"{_CONTACT}.{column} {sql}", params


@dataclass(frozen=True)
class Rank:
    """The contacts matching every condition; ``indexed``: filtered with the engine's search index."""

    conditions: tuple[Condition, ...]
    indexed: bool

    def where(self) -> Condition:
        sql = " AND ".join(f"({condition})" for condition, _params in self.conditions) or "1 = 1"
        return sql, [param for _condition, params in self.conditions for param in params]


def _ids(sql: str, params: list) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


class Engine:
    """Conditions on ``phonebook_contact`` for one database engine, written by hand.

    Each search runs a few of these small statements; built with the ORM,
    compiling them cost more than running them.
    """

    def words(self, words: tuple[str, ...], name_only: bool) -> Condition:
        """Every word starts a word of the name (and, unless ``name_only``, company or department)."""
        raise NotImplementedError

    def digits(self, digits: str) -> Condition:
        """``digits`` occurs in one of the contact's numbers."""
        return _column_like("search_digits", "contains", digits)

    def word_ranks(self, words: tuple[str, ...], also: tuple[Condition, ...]) -> Iterator[Rank]:
        """Ranks 2 (every word in the name) and 3 (in name, company or department), with ``also``."""
        yield Rank((self.words(words, name_only=True), *also), indexed=True)
        yield Rank((self.words(words, name_only=False), *also), indexed=True)

    def top_ids(self, rank: Rank, count: int) -> list[int]:
        """The first ``count`` ids of ``rank`` by name."""
        where, params = rank.where()
        return _ids(
            f"SELECT id FROM {_CONTACT} WHERE {where} ORDER BY sort_name, id LIMIT %s",  # noqa: S608
            [*params, count],
        )


def _fts(table: str, match: str) -> Condition:
    """The contacts whose row in the FTS5 ``table`` (same rowid) matches ``match``."""
    return f"{_CONTACT}.id IN (SELECT rowid FROM {table} WHERE {table} MATCH %s)", [match]  # noqa: S608


class SqliteEngine(Engine):
    def words(self, words: tuple[str, ...], name_only: bool) -> Condition:
        columns = "sort_name" if name_only else "{sort_name search_org}"
        match = " AND ".join(f'{columns} : "{word}"*' for word in words)
        return _fts("phonebook_contact_words", match)

    def digits(self, digits: str) -> Condition:
        if len(digits) < _TRIGRAM:
            return super().digits(digits)
        return _fts("phonebook_contact_digits", f'"{digits}"')


class PostgresEngine(Engine):
    def top_ids(self, rank: Rank, count: int) -> list[int]:
        if not rank.indexed:
            return super().top_ids(rank, count)
        # Find the matches with the GIN indexes first, then sort them: left to itself, the
        # planner may walk the whole name index in order, testing every row (seconds at 1M).
        where, params = rank.where()
        return _ids(
            f"WITH matches AS MATERIALIZED (SELECT id, sort_name FROM {_CONTACT} WHERE {where}) "  # noqa: S608
            "SELECT id FROM matches ORDER BY sort_name, id LIMIT %s",
            [*params, count],
        )

    @staticmethod
    def _tsquery(words: tuple[str, ...]) -> str:
        return " & ".join(f"'{word}':*" for word in words)

    def words(self, words: tuple[str, ...], name_only: bool) -> Condition:
        # Name words have their own, narrower GIN index (on the same expression as here).
        vector = (
            f"to_tsvector('simple'::regconfig, {_CONTACT}.sort_name)"
            if name_only
            else f"{_CONTACT}.search_vector"
        )
        return f"{vector} @@ to_tsquery('simple'::regconfig, %s)", [self._tsquery(words)]

    def digits(self, digits: str) -> Condition:
        # pg_trgm's index serves LIKE '%...%' (from three characters on).
        return f"{_CONTACT}.search_digits LIKE %s", [f"%{digits}%"]


class MysqlEngine(Engine):
    def words(self, words: tuple[str, ...], name_only: bool) -> Condition:
        columns = f"{_CONTACT}.sort_name"
        if not name_only:
            columns += f", {_CONTACT}.search_org"
        conditions: list[Condition] = []
        long_words = [word for word in words if len(word) >= _MYSQL_MIN_TOKEN]
        if long_words:
            against = " ".join(f"+{word}*" for word in long_words)
            conditions.append((f"MATCH ({columns}) AGAINST (%s IN BOOLEAN MODE) > 0", [against]))
        for word in words:
            if len(word) < _MYSQL_MIN_TOKEN:
                # Too short for the FULLTEXT index: a word start in the folded text.
                text = f"{_CONTACT}.sort_name"
                if not name_only:
                    text = f"CONCAT({text}, ' ', {_CONTACT}.search_org)"
                conditions.append((f"CONCAT(' ', {text}) LIKE %s", [f"% {word}%"]))
        return Rank(tuple(conditions), indexed=True).where()


_ENGINES: dict[str, Engine] = {
    "sqlite": SqliteEngine(),
    "postgresql": PostgresEngine(),
    "mysql": MysqlEngine(),
}


def engine() -> Engine:
    return _ENGINES.get(connection.vendor, Engine())


def _ranks(query: Query, default_country: str) -> Iterator[Rank]:
    """One rank per level, best first (see the module's docstring)."""
    db = engine()
    number_filter = tuple(db.digits(digits) for digits in query.numbers)
    if query.numbers and not query.words:
        exact = {f"+{digits}" for digits in query.numbers}
        exact.update(to_e164(digits, default_country) for digits in query.numbers)
        exact.discard("")
        if len(query.numbers) == 1:
            digits_in = ", ".join(["%s"] * len(query.numbers))
            e164_in = ", ".join(["%s"] * len(exact))
            owners = (
                f"{_CONTACT}.id IN (SELECT contact_id FROM {_NUMBER}"  # noqa: S608
                f" WHERE digits IN ({digits_in}) OR e164 IN ({e164_in}))",
                [*query.numbers, *sorted(exact)],
            )
            yield Rank((owners,), indexed=False)
        yield Rank(number_filter, indexed=True)
        return
    if query.text:
        # Ranks 0 and 1: sorted by name, the names equal to the text come first.
        yield Rank(
            (
                (f"{_CONTACT}.sort_name >= %s", [query.text]),
                (f"{_CONTACT}.sort_name < %s", [_next_prefix(query.text)]),
                _column_like("sort_name", "startswith", query.text),
            ),
            indexed=False,
        )
    yield from db.word_ranks(query.words, number_filter)


def matching(query: str, default_country: str | None = None) -> QuerySet:
    """Every contact the query finds, unordered and unbounded (for the admin's search box)."""
    parsed = parse_query(query)
    if not parsed:
        return Contact.objects.none()
    country = default_country or settings.ASTITRAY_DEFAULT_COUNTRY
    ranks = list(_ranks(parsed, country))
    # The exact number (in canonical form) and the digits; else the widest rank.
    ranks = [ranks[-1], ranks[0]] if parsed.numbers and not parsed.words else [ranks[-1]]
    wheres = [rank.where() for rank in ranks]
    sql = " OR ".join(f"({where})" for where, _params in wheres)
    return Contact.objects.filter(_raw_filter(sql, [param for _where, params in wheres for param in params]))


def search(query: str, limit: int = 20, default_country: str | None = None) -> list[Contact]:
    """The best ``limit`` contacts for ``query`` (1..200), with their numbers, best first."""
    found = search_ids(query, limit, default_country)
    contacts = Contact.objects.prefetch_related(
        Prefetch("numbers", queryset=PhoneNumber.objects.order_by("id"))
    ).in_bulk(found)
    return [contacts[contact_id] for contact_id in found if contact_id in contacts]


def search_ids(query: str, limit: int = 20, default_country: str | None = None) -> list[int]:
    """The ids of the best ``limit`` contacts for ``query`` (1..200), best first."""
    limit = max(1, min(limit, MAX_LIMIT))
    parsed = parse_query(query)
    if not parsed:
        return []
    country = default_country or settings.ASTITRAY_DEFAULT_COUNTRY
    found: dict[int, None] = {}
    db = engine()
    for rank in _ranks(parsed, country):
        # A rank holds most contacts of the ranks before it: ask for those too, drop them here.
        for contact_id in db.top_ids(rank, limit + len(found)):
            found.setdefault(contact_id)
            if len(found) == limit:
                break
        if len(found) == limit:
            break
    return list(found)
