"""The in-memory list entry every loader produces, whatever the publisher's format.

Plain slotted dataclasses rather than pydantic models: an index holds tens of thousands of
them and is built on worker start, where validation overhead buys nothing (the loaders
already check every field they read).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from models.screening import ListVersion, PartySchema


class ListLoadError(Exception):
    """A list file could not be read or parsed; names the file and the line or element."""

    def __init__(self, path: str, location: str, reason: str) -> None:
        super().__init__(f"{path}: {location}: {reason}")
        self.path = path
        self.location = location
        self.reason = reason


@dataclass(frozen=True, slots=True)
class BirthDate:
    """A possibly partial or ranged date of birth, as lists publish them.

    Lists often know only a year, a year range ("1973 to 1974") or an approximate year;
    keeping the range lets the matcher say "within range" instead of guessing a date.
    """

    year_from: int
    year_to: int
    month: int | None = None
    day: int | None = None
    approximate: bool = False

    @property
    def full(self) -> dt.date | None:
        if self.year_from == self.year_to and self.month and self.day:
            try:
                return dt.date(self.year_from, self.month, self.day)
            except ValueError:
                return None
        return None

    def __str__(self) -> str:
        if self.year_from != self.year_to:
            return f"{self.year_from}..{self.year_to}"
        text = f"{self.year_from:04d}"
        if self.month:
            text += f"-{self.month:02d}"
            if self.day:
                text += f"-{self.day:02d}"
        return ("~" + text) if self.approximate else text


@dataclass(frozen=True, slots=True)
class Alias:
    name: str
    weak: bool = False
    """Low-quality alias (UN 'Low'): still screened, but with a score penalty."""


@dataclass(slots=True)
class ListEntry:
    source: str
    source_id: str
    schema: PartySchema
    name: str
    aliases: list[Alias] = field(default_factory=list)
    birth_dates: list[BirthDate] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)

    def all_names(self) -> list[Alias]:
        """Primary name first, then aliases, without duplicates."""
        seen: set[str] = set()
        out: list[Alias] = []
        for alias in [Alias(self.name), *self.aliases]:
            key = alias.name.strip().casefold()
            if key and key not in seen:
                seen.add(key)
                out.append(alias)
        return out


@dataclass(slots=True)
class LoadedList:
    version: ListVersion
    entries: list[ListEntry]
