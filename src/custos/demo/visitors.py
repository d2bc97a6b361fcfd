"""The demo's website visitors: cookie choices over the last months, recorded as the banner records them.

Each day a handful of visitors choose: most accept or reject everything on the first layer, some choose per
category in the settings, some browsers send Global Privacy Control (recorded as a refusal, when the policy
honours it), and now and then someone who accepted comes back to withdraw. Every record goes through
`custos.consent.service.record_choice` on a clock at the moment of the choice, so expiry and the kind
(consent, refusal, withdrawal) are the service's own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from custos.consent import service
from custos.consent.service import Choice, Method
from custos.consent.terms import ConsentTerms, terms_for
from custos.runtime import Runtime

from .timeline import Step, Timeline

_BROWSERS = ("chrome", "chrome", "chrome", "safari", "safari", "firefox", "edge")


@dataclass
class VisitorsPlayed:
    records: int = 0


def schedule(timeline: Timeline, seed: int, now: datetime, days: int) -> VisitorsPlayed:
    """Choices on each of the last `days` days, more on weekdays, ending an hour before `now`."""
    rng = random.Random(f"visitors-{seed}")
    played = VisitorsPlayed()
    terms = terms_for(timeline.runtime.policy)
    categories = terms.categories
    if not categories:
        return played  # a policy whose cookies are all strictly necessary asks nobody
    for back in range(days, 0, -1):
        day = (now - timedelta(days=back)).replace(hour=0, minute=0, second=0, microsecond=0)
        visitors = rng.randint(2, 5) if day.weekday() >= 5 else rng.randint(4, 9)
        for _ in range(visitors):
            moment = day + timedelta(minutes=rng.randrange(7 * 60, 22 * 60))
            if moment > now - timedelta(hours=1):
                continue
            choice = _choice(rng, categories, terms.gpc_honoured)
            returns = choice.method is not Method.GPC and any(choice.choices.values()) and rng.random() < 0.08
            later = moment + timedelta(days=rng.randint(1, 20), minutes=rng.randrange(600))
            step = _visit(timeline, terms, played, choice, later if returns else None, now)
            timeline.at(moment, "a visitor chooses cookies", step)
    return played


def _choice(rng: random.Random, categories: tuple[str, ...], gpc: bool) -> Choice:
    browser = rng.choice(_BROWSERS)
    roll = rng.random()
    if gpc and roll < 0.07:
        return Choice(dict.fromkeys(categories, False), Method.GPC, gpc=True, ua_family=browser)
    if roll < 0.52:
        return Choice(dict.fromkeys(categories, True), Method.BANNER, ua_family=browser)
    if roll < 0.84:
        return Choice(dict.fromkeys(categories, False), Method.BANNER, ua_family=browser)
    # Per category in the settings: some on, some off (with one category, a considered yes or no).
    picked = {name: rng.random() < 0.5 for name in categories}
    if len(categories) > 1 and all(picked.values()):
        picked[categories[-1]] = False
    return Choice(picked, Method.SETTINGS, ua_family=browser)


def _visit(
    timeline: Timeline,
    terms: ConsentTerms,
    played: VisitorsPlayed,
    choice: Choice,
    withdraw_at: datetime | None,
    now: datetime,
) -> Step:
    def step(runtime: Runtime) -> None:
        with runtime.work(service.VISITOR) as work:
            visitor = service.record_choice(work, terms, None, choice).visitor_id
        played.records += 1
        if withdraw_at is not None and withdraw_at < now - timedelta(minutes=30):
            timeline.at(withdraw_at, "a visitor withdraws consent", _withdraw(terms, played, visitor, choice))

    return step


def _withdraw(terms: ConsentTerms, played: VisitorsPlayed, visitor: str, given: Choice) -> Step:
    def step(runtime: Runtime) -> None:
        # The floating icon, then everything off in the settings (Art. 7(3): as easy as giving it).
        choice = Choice(dict.fromkeys(given.choices, False), Method.SETTINGS, ua_family=given.ua_family)
        with runtime.work(service.VISITOR) as work:
            service.record_choice(work, terms, visitor, choice)
        played.records += 1

    return step
