"""LedgerStore against the real PostgreSQL: every rule of issue 9, one by one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from domain.ledger import LedgerStore, MoneyError, parse_amount
from models.ledger import AccountKind, OpenAccountInput, TransferKind, TransferSpec
from models.tables import Customer
from tests.ledger.conftest import Book

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("12.5", "EUR", Decimal("12.50")),
        ("100", "JPY", Decimal("100")),
        ("0.125", "BHD", Decimal("0.125")),
        ("1.0001", "CLF", Decimal("1.0001")),
    ],
)
def test_amounts_take_the_currency_exponent(value: str, currency: str, expected: Decimal) -> None:
    assert parse_amount(value, currency) == expected
    assert str(parse_amount(value, currency)) == str(expected)


@pytest.mark.parametrize(
    ("value", "currency", "why"),
    [
        ("12.501", "EUR", "more decimals"),
        ("12.500", "EUR", "more decimals"),
        ("1.5", "JPY", "more decimals"),
        ("0.1255", "BHD", "more decimals"),
        ("0", "EUR", "greater than zero"),
        ("-1", "EUR", "greater than zero"),
        ("1e3", "EUR", "plain decimal"),
        ("NaN", "EUR", "plain decimal"),
        ("10", "XAU", "no minor unit"),
        ("10", "ABC", "not an ISO 4217"),
    ],
)
def test_bad_amounts_are_refused_never_rounded(value: str, currency: str, why: str) -> None:
    with pytest.raises(MoneyError, match=why):
        parse_amount(value, currency)


def test_idempotency_same_fields_exist_different_fields_refused(book: Book) -> None:
    src, a = book.open("src", limited=False), book.open("a")
    first = book.transfer("t1", src, a, "100.00", reference="r1")
    assert book.create(first) == ["created"]
    assert book.create(first) == ["exists"]
    assert book.create(book.transfer("t1", src, a, "100.01", reference="r1")) == [
        "exists_with_different_fields"
    ]
    assert book.create(book.transfer("t1", src, a, "100.00", reference="other")) == [
        "exists_with_different_fields"
    ]
    # the same id twice in one batch: the second is the first's duplicate
    assert book.create(book.transfer("t2", src, a, "1"), book.transfer("t2", src, a, "1")) == [
        "created",
        "exists",
    ]
    assert book.balance(a)[1] == Decimal("101.00")


def test_refusals_name_the_problem_and_write_nothing(book: Book) -> None:
    src, a = book.open("src", limited=False), book.open("a")
    yen = book.open("yen", "JPY")
    assert book.create(book.transfer("t1", src, a, "10")) == ["created"]
    cases = {
        "exceeds_credits": book.transfer("x1", a, src, "10.01"),
        "account_not_found": book.transfer("x2", book.id("nope"), a, "1"),
        "currency_mismatch": book.transfer("x3", src, yen, "1", "EUR"),
        "invalid_amount": book.transfer("x4", src, a, "1.001"),
        "invalid_transfer": book.transfer("x5", a, a, "1"),
    }
    for code, spec in cases.items():
        assert book.create(spec) == [code], code
    zero = TransferSpec(
        transfer_id=book.id("x6"),
        debit_account_id=src,
        credit_account_id=a,
        amount=Decimal(0),
        currency="EUR",
    )
    assert book.create(zero) == ["invalid_amount"]
    with book.sessions() as s:
        rows = s.execute(
            text("SELECT count(*) FROM ledger_transfers WHERE transfer_id LIKE :p"),
            {"p": book.prefix + "-x%"},
        ).scalar_one()
    assert rows == 0
    assert book.balance(a) == (Decimal(0), Decimal(10), Decimal(0), Decimal(0))


def test_credit_limited_account_refuses_credits_beyond_debits(book: Book) -> None:
    loans = book.open("loans", limited=False, credit_limited=True)
    cust = book.open("cust", limited=False)
    assert book.create(book.transfer("lend", loans, cust, "500")) == ["created"]
    assert book.create(book.transfer("repay1", cust, loans, "400")) == ["created"]
    assert book.create(book.transfer("repay2", cust, loans, "100.01")) == ["exceeds_debits"]


def test_closed_accounts_and_frozen_customers(book: Book) -> None:
    src, a, b = book.open("src", limited=False), book.open("a"), book.open("b")
    customer_id = book.id("cus")
    with book.sessions.begin() as s:
        s.add(
            Customer(
                customer_id=customer_id,
                application_id=book.id("app"),
                workflow_id=book.id("wf"),
                given_names="Test",
                surname="Frozen",
                date_of_birth=dt.date(1980, 1, 1),
                nationality="SE",
                residence_country="SE",
                risk_level="low",
                status="active",
            )
        )
        s.flush()
        LedgerStore(s).open_account(
            OpenAccountInput(
                account_id=book.id("frozen"),
                kind=AccountKind.CUSTOMER,
                currency="EUR",
                customer_id=customer_id,
                flags=["debits_must_not_exceed_credits"],  # type: ignore[list-item]
            )
        )
    frozen = book.id("frozen")
    assert book.create(book.transfer("f1", src, frozen, "50")) == ["created"]
    with book.sessions.begin() as s:
        s.execute(
            text("UPDATE customers SET status = 'frozen' WHERE customer_id = :c"),
            {"c": customer_id},
        )
    assert book.create(book.transfer("f2", src, frozen, "5")) == ["created"]  # may receive
    assert book.create(book.transfer("f3", frozen, a, "5")) == ["account_frozen"]  # not send
    with book.sessions.begin() as s:
        view = LedgerStore(s).close_account(b)
    assert view.status == "closed"
    assert book.create(book.transfer("c1", src, b, "5")) == ["account_closed"]
    with book.sessions() as s:
        assert LedgerStore(s).get_account(frozen).status == "frozen"


def test_two_phase_post_partial_void_expire(book: Book) -> None:
    src, a, shop = book.open("src", limited=False), book.open("a"), book.open("shop")
    assert book.create(book.transfer("fund", src, a, "100"), now=NOW) == ["created"]
    hold = book.transfer("h1", a, shop, "60", kind=TransferKind.PENDING, timeout_seconds=60)
    assert book.create(hold, now=NOW) == ["created"]
    assert book.balance(a) == (Decimal(0), Decimal(100), Decimal(60), Decimal(0))
    # the hold counts against the available balance
    assert book.create(book.transfer("big", a, shop, "41"), now=NOW) == ["exceeds_credits"]

    def resolve(tid: str, kind: TransferKind, pending: str, amount: str | None = None) -> str:
        spec = TransferSpec(
            transfer_id=book.id(tid),
            kind=kind,
            pending_id=book.id(pending),
            amount=Decimal(amount) if amount else None,
        )
        return book.create(spec, now=NOW + dt.timedelta(seconds=1))[0]

    assert resolve("post-too-much", TransferKind.POST_PENDING, "h1", "60.01") == (
        "exceeds_pending_transfer_amount"
    )
    assert resolve("post1", TransferKind.POST_PENDING, "h1", "45.50") == "created"
    assert book.balance(a) == (Decimal("45.50"), Decimal(100), Decimal(0), Decimal(0))
    assert book.balance(shop) == (Decimal(0), Decimal("45.50"), Decimal(0), Decimal(0))
    assert resolve("void1", TransferKind.VOID_PENDING, "h1") == "pending_transfer_already_resolved"
    assert resolve("post1", TransferKind.POST_PENDING, "h1", "45.50") == "exists"

    assert book.create(book.transfer("h2", a, shop, "10", kind=TransferKind.PENDING), now=NOW) == [
        "created"
    ]
    assert resolve("void2", TransferKind.VOID_PENDING, "h2") == "created"
    assert resolve("nohold", TransferKind.VOID_PENDING, "missing") == "pending_transfer_not_found"

    expiring = book.transfer("h3", a, shop, "20", kind=TransferKind.PENDING, timeout_seconds=5)
    assert book.create(expiring, now=NOW) == ["created"]
    later = NOW + dt.timedelta(seconds=10)
    spec = TransferSpec(
        transfer_id=book.id("late"), kind=TransferKind.POST_PENDING, pending_id=book.id("h3")
    )
    assert book.create(spec, now=later) == ["pending_transfer_expired"]
    with book.sessions.begin() as s:
        assert LedgerStore(s).expire_pending(later) >= 1
    with book.sessions.begin() as s:
        assert LedgerStore(s).expire_pending(later) == 0  # once
        assert LedgerStore(s).get_transfer(book.id("h3")).state == "expired"  # type: ignore[union-attr]
    assert book.balance(a) == (Decimal("45.50"), Decimal(100), Decimal(0), Decimal(0))


def test_linked_chain_all_or_nothing(book: Book) -> None:
    src, a, b = book.open("src", limited=False), book.open("a"), book.open("b")
    chain = [
        book.transfer("l1", src, a, "10", linked=True),
        book.transfer("l2", a, b, "10", linked=True),
        book.transfer("l3", a, b, "0.01"),  # fails: a is empty after l2
        book.transfer("solo", src, b, "1"),
    ]
    assert book.create(*chain) == [
        "linked_event_failed",
        "linked_event_failed",
        "exceeds_credits",
        "created",
    ]
    assert book.balance(a) == (Decimal(0), Decimal(0), Decimal(0), Decimal(0))
    assert book.create(book.transfer("open", src, a, "1", linked=True)) == [
        "linked_event_chain_open"
    ]
    ok = [book.transfer("k1", src, a, "10", linked=True), book.transfer("k2", a, b, "10")]
    assert book.create(*ok) == ["created", "created"]
    assert book.balance(b)[1] == Decimal(11)


def test_a_large_batch_whose_first_transfers_fail_returns_every_result(book: Book) -> None:
    """More than 16 transfers take the general function's set-based branch; before 0006 a
    batch there whose first transfers failed (and named no stored id) raised a not-null
    violation instead of answering, because the new transfers' positions shifted."""
    src, a = book.open("src", limited=False), book.open("a")
    specs = [
        book.transfer("big-0", book.id("nobody"), a, "1"),
        book.transfer("big-1", a, src, "1"),  # a is empty: refused
        *[book.transfer(f"big-{i}", src, a, "1") for i in range(2, 20)],
    ]
    assert book.create(*specs) == ["account_not_found", "exceeds_credits"] + ["created"] * 18
    assert book.balance(a)[1] == Decimal(18)
    with book.sessions() as s:
        assert LedgerStore(s).get_transfer(book.id("big-19")) is not None
        assert LedgerStore(s).get_transfer(book.id("big-1")) is None
        assert LedgerStore(s).verify().clean


def test_a_batch_numbers_its_transfers_in_batch_order_whatever_their_ids(book: Book) -> None:
    """Sequence numbers follow the batch, and each result carries its own transfer's number
    (the batch path once aggregated its arrays in id order: `zz` got the first number)."""
    src, a = book.open("src", limited=False), book.open("a")
    specs = [book.transfer(name, src, a, amount) for name, amount in (("zz", "1"), ("aa", "2"))]
    with book.sessions.begin() as s:
        results = LedgerStore(s).create_transfers(specs).results
    with book.sessions() as s:
        stored = {spec.transfer_id: LedgerStore(s).get_transfer(spec.transfer_id) for spec in specs}
    seqs = [r.transfer.seq for r in results if r.transfer is not None]
    assert seqs == sorted(seqs) and len(seqs) == 2
    for r in results:
        view = stored[r.transfer_id]
        assert view is not None and r.transfer is not None
        assert (view.seq, view.amount) == (r.transfer.seq, r.transfer.amount)


def test_balance_as_of_and_keyset_pages(book: Book) -> None:
    src, a = book.open("src", limited=False), book.open("a")
    for i in range(5):
        at = NOW + dt.timedelta(minutes=i)
        assert book.create(book.transfer(f"t{i}", src, a, "10"), now=at) == ["created"]
    hold = book.transfer("h", a, src, "5", kind=TransferKind.PENDING)
    assert book.create(hold, now=NOW + dt.timedelta(minutes=10)) == ["created"]
    void = TransferSpec(
        transfer_id=book.id("v"), kind=TransferKind.VOID_PENDING, pending_id=book.id("h")
    )
    assert book.create(void, now=NOW + dt.timedelta(minutes=20)) == ["created"]
    with book.sessions() as s:
        store = LedgerStore(s)
        past = store.get_account(a, as_of=NOW + dt.timedelta(minutes=2, seconds=30))
        assert past.posted_balance == Decimal(30)
        held = store.get_account(a, as_of=NOW + dt.timedelta(minutes=15))
        assert (held.posted_balance, held.pending_debits, held.available_balance) == (
            Decimal(50),
            Decimal(5),
            Decimal(45),
        )
        assert store.get_account(a).pending_debits == Decimal(0)
        seen: list[str] = []
        cursor = None
        while True:
            page = store.account_transfers(a, limit=3, cursor=cursor)
            seen += [t.transfer_id for t in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
    assert seen == [book.id(x) for x in ("v", "h", "t4", "t3", "t2", "t1", "t0")]


def test_database_refuses_a_broken_flag_whatever_the_code(book: Book) -> None:
    a = book.open("a")
    with pytest.raises(IntegrityError), book.sessions.begin() as s:
        s.execute(
            text(
                "UPDATE accounts SET debits_posted = 1, posted_balance = -1 WHERE account_id = :a"
            ),
            {"a": a},
        )


def test_verify_names_a_tampered_account(book: Book) -> None:
    src, a = book.open("src", limited=False), book.open("a")
    assert book.create(book.transfer("t", src, a, "10")) == ["created"]
    with book.sessions() as s:
        assert LedgerStore(s).verify().clean
    tamper = text(
        "UPDATE accounts SET credits_posted = credits_posted + :d, "
        "posted_balance = posted_balance + :d WHERE account_id = :a"
    )
    with book.sessions.begin() as s:
        s.execute(tamper, {"d": Decimal(5), "a": a})
    try:
        with book.sessions() as s:
            report = LedgerStore(s).verify()
            assert {m.account_id for m in report.mismatches} == {a}
            assert not LedgerStore(s).trial_balance().balanced
    finally:
        with book.sessions.begin() as s:
            s.execute(tamper, {"d": Decimal(-5), "a": a})
    with book.sessions() as s:
        assert LedgerStore(s).verify().clean


def test_verify_names_a_transfer_whose_account_is_missing(book: Book) -> None:
    """The triggers keep every transfer's accounts in place; verify checks it anyway, since
    a restore or a replica with triggers off could break it (here: replication role)."""
    src, a = book.open("src", limited=False), book.open("a")
    assert book.create(book.transfer("fund", src, a, "1")) == ["created"]
    with book.sessions() as s:
        try:
            s.execute(text("SET LOCAL session_replication_role = replica"))
            s.execute(
                text(
                    "INSERT INTO ledger_transfers (transfer_id, kind, debit_account_id,"
                    " credit_account_id, amount, currency, code, reference)"
                    " VALUES (:t, 'single', :a, :ghost, 1, 'EUR', 'transfer', '')"
                ),
                {"t": book.id("orphan"), "a": a, "ghost": book.id("ghost")},
            )
            report = LedgerStore(s).verify()
        finally:
            s.rollback()
    wanted = f"transfer {book.id('orphan')} names account {book.id('ghost')}, which does not exist"
    assert wanted in report.pending_problems
    assert not report.clean


def test_bank_accounts_per_currency(book: Book) -> None:
    currency = "BHD"
    with book.sessions.begin() as s:
        views = LedgerStore(s).open_bank_accounts(currency, ["NDEASESS"])
        again = LedgerStore(s).open_bank_accounts(currency, ["NDEASESS"])
    ids = {v.account_id for v in views}
    assert ids == {v.account_id for v in again}
    assert "bank.clearing.BHD" in ids and "bank.settlement.NDEASESS.BHD" in ids


def test_verify_cli_exits_1_naming_the_account(book: Book, database_url: str) -> None:
    from click.testing import CliRunner
    from pydantic import SecretStr

    from clearway.settings import Settings
    from cli.ledger import ledger

    settings = Settings(database_url=SecretStr(database_url))
    src, a = book.open("src", limited=False), book.open("a")
    assert book.create(book.transfer("t", src, a, "10")) == ["created"]
    runner = CliRunner()
    ok = runner.invoke(ledger, ["verify"], obj=settings)
    assert ok.exit_code == 0, ok.output
    assert "clean" in ok.output
    tamper = text("UPDATE accounts SET pending_debits = pending_debits + :d WHERE account_id = :a")
    with book.sessions.begin() as s:
        s.execute(tamper, {"d": Decimal(3), "a": a})
    try:
        bad = runner.invoke(ledger, ["verify"], obj=settings)
        assert bad.exit_code == 1
        assert f"MISMATCH account {a}: pending_debits stored 3.0000" in bad.output
        as_json = runner.invoke(ledger, ["verify", "--json"], obj=settings)
        assert as_json.exit_code == 1
        assert '"clean": false' in as_json.output
    finally:
        with book.sessions.begin() as s:
            s.execute(tamper, {"d": Decimal(-3), "a": a})


def test_expire_cli_releases_due_holds(book: Book, database_url: str) -> None:
    from click.testing import CliRunner
    from pydantic import SecretStr

    from clearway.settings import Settings
    from cli.ledger import ledger

    src, a = book.open("src", limited=False), book.open("a")
    past = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    assert book.create(book.transfer("fund", src, a, "10"), now=past) == ["created"]
    hold = book.transfer("h", a, src, "4", kind=TransferKind.PENDING, timeout_seconds=60)
    assert book.create(hold, now=past) == ["created"]
    assert book.balance(a)[2] == Decimal(4)
    result = CliRunner().invoke(
        ledger, ["expire"], obj=Settings(database_url=SecretStr(database_url))
    )
    assert result.exit_code == 0, result.output
    assert book.balance(a)[2] == Decimal(0)
    with book.sessions() as s:
        view = LedgerStore(s).get_transfer(book.id("h"))
        assert view is not None and view.state == "expired"


@pytest.mark.parametrize(
    ("amount", "currency", "why"),
    [
        ("12.501", "EUR", "has more decimals than EUR allows (2)"),
        ("1.5", "JPY", "has more decimals than JPY allows (0)"),
        ("0.1255", "BHD", "has more decimals than BHD allows (3)"),
        ("0", "EUR", "greater than zero"),
        ("-1", "EUR", "greater than zero"),
        ("10", "XAU", "XAU has no minor unit"),
        ("10", "ABC", "'ABC' is not an ISO 4217 currency code"),
    ],
)
def test_the_ledger_function_refuses_amounts_its_currency_cannot_hold(
    book: Book, amount: str, currency: str, why: str
) -> None:
    """The amount rules hold inside `ledger_create_transfers` too, not only at the API's
    edge (any caller can reach the store), with the currency's ISO 4217 exponent."""
    src, a = book.open("src", limited=False), book.open("a")
    with book.sessions.begin() as s:
        spec = book.transfer("t", src, a, amount, currency)
        (r,) = LedgerStore(s).create_transfers([spec]).results
    assert (r.outcome.value, r.code, r.error) == ("failed", "invalid_amount", "InvalidAmount")
    assert r.message is not None and why in r.message
    assert book.balance(a) == (0, 0, 0, 0)


def test_trailing_zeros_within_the_exponent_are_the_same_amount(book: Book) -> None:
    src, a = book.open("src", limited=False), book.open("a")
    hold = book.transfer("h", src, a, "12.500", kind=TransferKind.PENDING)
    with book.sessions.begin() as s:
        (r,) = LedgerStore(s).create_transfers([hold]).results
    assert r.transfer is not None and str(r.transfer.amount) == "12.50"
    post = TransferSpec(
        transfer_id=book.id("p"),
        kind=TransferKind.POST_PENDING,
        pending_id=book.id("h"),
        amount=Decimal("10.005"),
    )
    assert book.create(post) == ["invalid_amount"]
    assert book.create(post.model_copy(update={"amount": Decimal("10.00")})) == ["created"]
    assert book.balance(a) == (0, Decimal("10.00"), 0, 0)
