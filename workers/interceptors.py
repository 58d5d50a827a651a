"""Activity interceptor: the error catalogue's exceptions become typed Temporal failures.

Domain code raises plain `ClearwayError`s (it knows nothing of Temporal). Here, in one
place, each becomes an `ApplicationError` whose type is the class name and whose
retryability is the class's own, so a workflow's retry policy and the API's mapping read
the same catalogue, and an activity cannot forget to mark a business error non-retryable.
"""

from __future__ import annotations

from typing import Any

from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from clearway.contract import ClearwayError


class _ActivityErrors(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except ClearwayError as exc:
            raise ApplicationError(
                exc.message, type=exc.type_name(), non_retryable=not exc.retryable
            ) from exc


class ClearwayErrorInterceptor(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ActivityErrors(next)
