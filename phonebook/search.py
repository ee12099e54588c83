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
contacts are found, so common prefixes cost no more than rare ones.
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
    def words(self, words: tuple[str, ...], name_only: bool) -> Q:
        weight = "A" if name_only else ""
        tsquery = " & ".join(f"'{word}':*{weight}" for word in words)
        return Q(
            _raw_filter("phonebook_contact.search_vector @@ to_tsquery('simple'::regconfig, %s)", [tsquery])
        )

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


def _ranks(query: Query, default_country: str) -> Iterator[QuerySet]:
    """One query set per rank, best first (see the module's docstring)."""
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
        exact_owner = Q(id__in=owners.values("contact_id"))
        if len(query.numbers) == 1:
            yield base.filter(exact_owner)
            number_filter |= exact_owner
        yield base.filter(number_filter)
        return
    if query.text:
        yield base.filter(sort_name=query.text)
        yield base.filter(
            sort_name__gte=query.text,
            sort_name__lt=_next_prefix(query.text),
            sort_name__startswith=query.text,
        )
    yield base.filter(db.words(query.words, name_only=True) & number_filter)
    yield base.filter(db.words(query.words, name_only=False) & number_filter)


def matching(query: str, default_country: str | None = None) -> QuerySet:
    """Every contact the query finds, unordered and unbounded (for the admin's search box)."""
    parsed = parse_query(query)
    if not parsed:
        return Contact.objects.none()
    country = default_country or settings.ASTITRAY_DEFAULT_COUNTRY
    *_, widest = _ranks(parsed, country)
    return widest


def search(query: str, limit: int = 20, default_country: str | None = None) -> list[Contact]:
    """The best ``limit`` contacts for ``query`` (1..200), with their numbers, best first."""
    limit = max(1, min(limit, MAX_LIMIT))
    parsed = parse_query(query)
    if not parsed:
        return []
    country = default_country or settings.ASTITRAY_DEFAULT_COUNTRY
    found: dict[int, None] = {}
    for rank in _ranks(parsed, country):
        # A rank holds most contacts of the ranks before it: ask for those too, drop them here.
        wanted = limit + len(found)
        for contact_id in rank.order_by("sort_name", "id").values_list("id", flat=True)[:wanted]:
            found.setdefault(contact_id)
            if len(found) == limit:
                break
        if len(found) == limit:
            break
    contacts = Contact.objects.prefetch_related(
        Prefetch("numbers", queryset=PhoneNumber.objects.order_by("id"))
    ).in_bulk(list(found))
    return [contacts[contact_id] for contact_id in found if contact_id in contacts]
