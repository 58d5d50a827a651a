"""Who may decide a case, and the four-eyes rule: one set of rules for every kind of case,
so onboarding referrals, re-screening reviews and the processes still to come cannot drift
apart on what officers rely on. Pure functions; the review workflow calls them from its
update validator (before anything reaches history) and again under its lock."""

from __future__ import annotations

from collections.abc import Sequence

from clearway.contract import (
    OFFICER_ROLES,
    CaseClosed,
    CaseNotFound,
    DecisionNotSupported,
    Forbidden,
    FourEyesViolation,
    Role,
)
from models.cases import Approval, CaseView, DecisionKind, DecisionUpdate

ESCALATION_ASSIGNEE = "senior_officers"


def required_approvals(risk_level: str) -> int:
    """High and prohibited risk need two approvals (one of them senior); others one."""
    return 2 if risk_level in ("high", "prohibited") else 1


def check_decision(
    update: DecisionUpdate,
    case: CaseView | None,
    approvals: Sequence[Approval],
    *,
    open_for_decision: bool,
    state: str,
    information_allowed: bool = True,
) -> None:
    """Refuse a decision the rules forbid: a role that may not decide (Forbidden), another
    case (CaseNotFound), a case not awaiting a decision (CaseClosed), a decision this kind
    of case does not take, the same approver twice, or a two-approval case completed without
    a senior officer (FourEyesViolation)."""
    if update.role not in OFFICER_ROLES:
        raise Forbidden(f"role {update.role!r} may not decide cases")
    if case is None or case.case_id != update.case_id:
        raise CaseNotFound(f"case {update.case_id} is not open here")
    if not open_for_decision:
        raise CaseClosed(f"case {update.case_id} is {state}")
    if update.decision == DecisionKind.REQUEST_INFORMATION and not information_allowed:
        raise DecisionNotSupported(f"a {case.kind} case is decided on the file: approve or reject")
    if update.decision != DecisionKind.APPROVE:
        return
    if any(a.actor == update.actor for a in approvals):
        raise FourEyesViolation("four-eyes: the same officer cannot approve a case twice")
    required = case.required_approvals
    if len(approvals) + 1 >= required > 1:
        roles = {a.role for a in approvals} | {update.role}
        if Role.SENIOR_OFFICER not in roles:
            raise FourEyesViolation(
                "four-eyes: a case needing two approvals needs a senior_officer among them"
            )
