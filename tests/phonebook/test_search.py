"""Search semantics (docs/api.md, phonebook.search), the same on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import pytest

from phonebook.services import contact_as_dict, search, search_as_dicts
from tests.phonebook.helpers import add

# transaction=True: MariaDB's FULLTEXT index only sees committed rows.
pytestmark = pytest.mark.django_db(transaction=True)


def names(query: str, limit: int = 20, **kwargs) -> list[str]:
    return [contact.name for contact in search(query, limit, **kwargs)]


@pytest.fixture
def people():
    add("Hélène Dupont", "+44 20 7946 0958", company="ACME Corp", department="Ventes")
    add("Marc Dupond", "01 42 68 53 00", company="Helios")
    add("Jürgen Müller", "+49 30 901820", company="Örtliche Stadtwerke")
    add("Jean de La Fontaine", "06 12 34 56 78")
    add("Li Wei", "+86 10 6552 9988")
    add("Œdipe Lefèvre-Ørsted", "04 91 00 00 01")
    add("Nobody Without Number")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hel dup", ["Hélène Dupont", "Marc Dupond"]),  # Marc: "dup" in his name, "hel" his company
        ("dupont helene", ["Hélène Dupont"]),
        ("HÉLÈNE", ["Hélène Dupont"]),
        ("helene", ["Hélène Dupont"]),
        ("muller", ["Jürgen Müller"]),
        ("jurgen mül", ["Jürgen Müller"]),
        ("ortliche", ["Jürgen Müller"]),
        ("oedipe lefevre orsted", ["Œdipe Lefèvre-Ørsted"]),
        ("lefèvre-ørsted", ["Œdipe Lefèvre-Ørsted"]),
        ("acme ventes", ["Hélène Dupont"]),
        ("la fontaine", ["Jean de La Fontaine"]),
        ("de la", ["Jean de La Fontaine"]),
        ("li", ["Li Wei"]),
        ("wei li", ["Li Wei"]),
        ("dupontx", []),
        ("zzz", []),
    ],
)
def test_words_match_word_starts_in_any_order_accents_and_case_ignored(people, query, expected):
    assert names(query) == expected


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("0958", ["Hélène Dupont"]),
        ("7946 0958", ["Hélène Dupont"]),
        ("7946-0958", ["Hélène Dupont"]),
        ("+44 20 7946 0958", ["Hélène Dupont"]),
        ("+44 (0)20 7946 0958", ["Hélène Dupont"]),
        ("44207946", ["Hélène Dupont"]),
        ("33142685300", ["Marc Dupond"]),  # its E.164 digits, though written 01 42 68 53 00
        ("42 68 53", ["Marc Dupond"]),
        ("06.12.34.56.78", ["Jean de La Fontaine"]),
        ("00", ["Marc Dupond", "Œdipe Lefèvre-Ørsted"]),  # two digits: still anywhere
        ("dupont 0958", ["Hélène Dupont"]),
        ("dupond 0958", []),
        ("99999", []),
    ],
)
def test_digits_match_anywhere_in_a_number(people, query, expected):
    assert names(query) == expected


def test_a_number_in_another_form_is_found_in_canonical_form(people):
    assert names("0044 20 7946 0958") == ["Hélène Dupont"]
    assert names("020 7946 0958", default_country="GB") == ["Hélène Dupont"]


def test_results_are_ranked_exact_then_prefix_then_name_words_then_company(db):
    add("Zoe Adams", "01 00 00 00 01", company="Martin & Co")
    add("Paul Martin", "01 00 00 00 02")
    add("Martine Durand", "01 00 00 00 03")
    add("Martin", "01 00 00 00 04")
    add("Anne Martinez", "01 00 00 00 05")
    assert names("martin") == ["Martin", "Martine Durand", "Anne Martinez", "Paul Martin", "Zoe Adams"]
    assert names("MARTIN") == names("martin")


def test_the_exact_name_comes_first_however_many_names_start_with_it(db):
    for i in range(25):
        add(f"Martin {i:02d}")
    exact = add("Martin")
    add("Martin")  # the same name: the older first
    found = search("martin", 1)
    assert [c.pk for c in found] == [exact.pk]
    assert names("martin", 3) == ["Martin", "Martin", "Martin 00"]


def test_a_name_search_through_every_rank_costs_five_queries(db, django_assert_num_queries):
    add("Martin")
    add("Paul Martin")
    add("Zoe Adams", company="Martin & Co")
    # The name's prefix, words of the name, words of the name and company; the contacts, their numbers.
    with django_assert_num_queries(5):
        assert names("martin") == ["Martin", "Paul Martin", "Zoe Adams"]


def test_the_api_reads_the_contacts_found_in_one_statement(db, django_assert_num_queries):
    add("Martin", "01 42 68 53 00", "06 12 34 56 78")
    add("Paul Martin")
    add("Zoe Adams", "+44 20 7946 0958", company="Martin & Co")
    # The three ranks as above; then the contacts and their numbers, together.
    with django_assert_num_queries(4):
        found = search_as_dicts("martin")
    assert [(c["name"], len(c["numbers"])) for c in found] == [
        ("Martin", 2),
        ("Paul Martin", 0),
        ("Zoe Adams", 1),
    ]


@pytest.mark.parametrize(
    ("query", "limit"),
    [
        ("hel dup", 20),
        ("dup", 1),
        ("0958", 20),
        ("+44 20 7946 0958", 20),
        ("two", 20),
        ("nobody", 5),
        ("zzz", 20),
    ],
)
def test_the_api_answer_is_each_contact_found_as_a_dict(people, query, limit):
    add("Two Numbers", "+33 1 42 68 53 01", "06 12 34 56 79", company="Deux", department="Ventes")
    expected = [contact_as_dict(contact) for contact in search(query, limit)]
    assert search_as_dicts(query, limit) == expected
    assert all(
        isinstance(value, str) for c in expected for key, value in c.items() if key not in ("id", "numbers")
    )


def test_a_number_equal_to_the_query_ranks_first(db):
    add("Aaron Second", "01 42 68 53 00 99")
    add("Zed First", "01 42 68 53 00")
    assert names("0142685300") == ["Zed First", "Aaron Second"]


def test_the_order_is_stable_and_the_answer_bounded(db):
    first = add("Jean Dupont", "01 00 00 00 01")
    second = add("Jean Dupont", "01 00 00 00 02")
    for i in range(30):
        add(f"Jean Dupont {i:02d}", f"01 00 00 01 {i:02d}")
    found = search("jean dupont", 20)
    assert [c.pk for c in found[:2]] == [first.pk, second.pk]
    assert len(found) == 20
    assert [c.name for c in found] == [c.name for c in search("jean dupont", 20)]
    assert len(search("jean", 200)) == 32
    assert len(search("jean", 1000)) == 32  # capped at 200 anyway


def test_empty_and_punctuation_only_queries_find_nothing(people):
    assert names("") == []
    assert names("  - ' ,") == []


def test_search_returns_numbers_in_their_order(people):
    contact = add("Two Numbers", "+33 1 42 68 53 01", "06 12 34 56 79")
    (found,) = search("two numbers")
    assert found.pk == contact.pk
    assert [(n.raw, n.e164) for n in found.numbers.all()] == [
        ("+33 1 42 68 53 01", "+33142685301"),
        ("06 12 34 56 79", "+33612345679"),
    ]
