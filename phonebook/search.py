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
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.db import connection
from django.db.models import BooleanField, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL

from phonebook.models import Contact, PhoneNumber
from phonebook.numbers import to_e164
from phonebook.text import Query, parse_query

MAX_LIMIT = 200
# MariaDB's InnoDB FULLTEXT does not index shorter words (innodb_ft_min_token_size).
_MYSQL_MIN_TOKEN = 3
# SQLite's trigram index finds substrings of at least three characters.
_TRIGRAM = 3


def _raw_filter(sql: str, params: list) -> RawSQL:
    return RawSQL(sql, params, output_field=BooleanField())  # noqa: S611 (values are parameters)


def _next_prefix(text: str) -> str:
    """The smallest string greater than every string that starts with ``text``."""
    return text[:-1] + chr(ord(text[-1]) + 1)


class Engine:
    """Conditions on ``phonebook_contact`` for one database engine."""

    def words(self, words: tuple[str, ...], name_only: bool) -> Q:
        """Every word starts a word of the name (and, unless ``name_only``, company or department)."""
        raise NotImplementedError

    def digits(self, digits: str) -> Q:
        """``digits`` occurs in one of the contact's numbers."""
        return Q(search_digits__contains=digits)

    def word_ranks(self, base: QuerySet, words: tuple[str, ...], also: Q) -> Iterator[tuple[QuerySet, bool]]:
        """Ranks 2 (every word in the name) and 3 (in name, company or department), with ``also``."""
        yield base.filter(self.words(words, name_only=True) & also), True
        yield base.filter(self.words(words, name_only=False) & also), True

    def top_ids(self, rank: QuerySet, count: int, indexed: bool) -> list[int]:
        """The first ``count`` ids of ``rank`` by name (``indexed``: filtered with the search index)."""
        return list(rank.order_by("sort_name", "id").values_list("id", flat=True)[:count])


class SqliteEngine(Engine):
    def words(self, words: tuple[str, ...], name_only: bool) -> Q:
        columns = "sort_name" if name_only else "{sort_name search_org}"
        match = " AND ".join(f'{columns} : "{word}"*' for word in words)
        return Q(
            id__in=RawSQL(
                "SELECT rowid FROM phonebook_contact_words WHERE phonebook_contact_words MATCH %s", [match]
            )
        )

    def digits(self, digits: str) -> Q:
        if len(digits) < _TRIGRAM:
            return super().digits(digits)
        return Q(
            id__in=RawSQL(
                "SELECT rowid FROM phonebook_contact_digits WHERE phonebook_contact_digits MATCH %s",
                [f'"{digits}"'],
            )
        )


class PostgresEngine(Engine):
    def top_ids(self, rank: QuerySet, count: int, indexed: bool) -> list[int]:
        if not indexed:
            return super().top_ids(rank, count, indexed)
        # Find the matches with the GIN indexes first, then sort them: left to itself, the
        # planner may walk the whole name index in order, testing every row (seconds at 1M).
        sql, params = rank.order_by().values_list("id", "sort_name").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH matches AS MATERIALIZED ({sql}) "  # noqa: S608 (Django's own SQL)
                "SELECT id FROM matches ORDER BY sort_name, id LIMIT %s",
                [*params, count],
            )
            return [row[0] for row in cursor.fetchall()]

    @staticmethod
    def _tsquery(words: tuple[str, ...]) -> str:
        return " & ".join(f"'{word}':*" for word in words)

    def words(self, words: tuple[str, ...], name_only: bool) -> Q:
        # Name words have their own, narrower GIN index (on the same expression as here).
        vector = (
            "to_tsvector('simple'::regconfig, phonebook_contact.sort_name)"
            if name_only
            else "phonebook_contact.search_vector"
        )
        return Q(_raw_filter(f"{vector} @@ to_tsquery('simple'::regconfig, %s)", [self._tsquery(words)]))

    def digits(self, digits: str) -> Q:
        # pg_trgm's index serves LIKE '%...%' (from three characters on).
        return Q(_raw_filter("phonebook_contact.search_digits LIKE %s", [f"%{digits}%"]))


class MysqlEngine(Engine):
    def words(self, words: tuple[str, ...], name_only: bool) -> Q:
        columns = "phonebook_contact.sort_name"
        if not name_only:
            columns += ", phonebook_contact.search_org"
        long_words = [word for word in words if len(word) >= _MYSQL_MIN_TOKEN]
        condition = Q()
        if long_words:
            against = " ".join(f"+{word}*" for word in long_words)
            condition &= Q(_raw_filter(f"MATCH ({columns}) AGAINST (%s IN BOOLEAN MODE) > 0", [against]))
        for word in words:
            if len(word) < _MYSQL_MIN_TOKEN:
                # Too short for the FULLTEXT index: a word start in the folded text.
                text = "phonebook_contact.sort_name"
                if not name_only:
                    text = f"CONCAT({text}, ' ', phonebook_contact.search_org)"
                condition &= Q(_raw_filter(f"CONCAT(' ', {text}) LIKE %s", [f"% {word}%"]))
        return condition


_ENGINES: dict[str, Engine] = {
    "sqlite": SqliteEngine(),
    "postgresql": PostgresEngine(),
    "mysql": MysqlEngine(),
}


def engine() -> Engine:
    return _ENGINES.get(connection.vendor, Engine())


def _ranks(query: Query, default_country: str) -> Iterator[tuple[QuerySet, bool]]:
    """One query set per rank, best first (see the module's docstring), and whether it
    filters with the engine's search index (else with plain B-tree indexes)."""
    base = Contact.objects.all()
    db = engine()
    number_filter = Q()
    for digits in query.numbers:
        number_filter &= db.digits(digits)
    if query.numbers and not query.words:
        exact = {f"+{digits}" for digits in query.numbers}
        exact.update(to_e164(digits, default_country) for digits in query.numbers)
        exact.discard("")
        owners = PhoneNumber.objects.filter(Q(digits__in=query.numbers) | Q(e164__in=exact))
        if len(query.numbers) == 1:
            yield base.filter(id__in=owners.values("contact_id")), False
        yield base.filter(number_filter), True
        return
    if query.text:
        # Ranks 0 and 1: sorted by name, the names equal to the text come first.
        prefix = base.filter(
            sort_name__gte=query.text,
            sort_name__lt=_next_prefix(query.text),
            sort_name__startswith=query.text,
        )
        yield prefix, False
    yield from db.word_ranks(base, query.words, number_filter)


def matching(query: str, default_country: str | None = None) -> QuerySet:
    """Every contact the query finds, unordered and unbounded (for the admin's search box)."""
    parsed = parse_query(query)
    if not parsed:
        return Contact.objects.none()
    country = default_country or settings.ASTITRAY_DEFAULT_COUNTRY
    ranks = [rank for rank, _indexed in _ranks(parsed, country)]
    if parsed.numbers and not parsed.words:  # the exact number (in canonical form) and the digits
        return ranks[-1] | ranks[0]
    return ranks[-1]


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
    for rank, indexed in _ranks(parsed, country):
        # A rank holds most contacts of the ranks before it: ask for those too, drop them here.
        for contact_id in db.top_ids(rank, limit + len(found), indexed):
            found.setdefault(contact_id)
            if len(found) == limit:
                break
        if len(found) == limit:
            break
    return list(found)
