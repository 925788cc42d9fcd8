"""The people the writer knows: for people notes, mention links and headers."""
from __future__ import annotations

from tobsd.core.models import Message, Person


class People:
    """People by id and by username (lower case); a later sight replaces an earlier one."""

    def __init__(self) -> None:
        self._by_id: dict[int, Person] = {}
        self._usernames: dict[str, int] = {}

    def get(self, uid: int) -> Person | None:
        return self._by_id.get(uid)

    def by_username(self, name: str) -> Person | None:
        uid = self._usernames.get(name.lower())
        return self._by_id.get(uid) if uid is not None else None

    def add(self, person: Person) -> None:
        """Know ``person`` (by its id, and by its username if it has one)."""
        known = self._by_id.get(person.id)
        if known is not None and known.username and known.username != person.username:
            self._usernames.pop(known.username.lower(), None)
        self._by_id[person.id] = person
        if person.username:
            self._usernames[person.username.lower()] = person.id

    def learn(self, messages: list[Message]) -> list[Person]:
        """Know everyone the messages name (senders, bots, people in service
        messages); returns those not known before."""
        new = []
        for msg in messages:
            found = [msg.sender, msg.via_bot]
            if msg.action is not None:
                found += [msg.action.actor, *msg.action.users]
            for p in found:
                if p is None:
                    continue
                if p.id not in self._by_id:
                    new.append(p)
                self.add(p)
        return new
