"""PostgreSQL tables (SQLAlchemy 2 typed mappings), one module per aggregate. Alembic
migrations are the source of truth for the schema in a database; these mappings must agree
with them (a test checks)."""

from models.tables.base import MONEY, Base
from models.tables.cases import Case, CaseEvent
from models.tables.customers import Customer
from models.tables.documents import DocumentImage
from models.tables.ledger import Account, LedgerTransfer
from models.tables.lists import SanctionsListVersion

__all__ = [
    "MONEY",
    "Account",
    "Base",
    "Case",
    "CaseEvent",
    "Customer",
    "DocumentImage",
    "LedgerTransfer",
    "SanctionsListVersion",
]
